"""Run the command-line tools as a user would, with tiny settings."""
import os
import os.path as osp
import subprocess
import sys

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TINY_CONFIG = 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'


def loader_options(name, num_sequences, batch_size=2):
    return [
        f'{name}.num_workers=0', f'{name}.persistent_workers=False',
        f'{name}.batch_size={batch_size}',
        f'{name}.dataset.num_sequences={num_sequences}'
    ]


#: --cfg-options that shrink the tiny config to seconds
FAST_OPTIONS = [
    'model.neck.hidden_channels=8',
    'train_cfg.val_interval=2',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.logger.interval=1',
    'custom_hooks.0.end_iter=8',
] + loader_options('train_dataloader', 32) + loader_options(
    'val_dataloader', 4) + loader_options('test_dataloader', 8, 4)


def run_tool(*args, env=None, check=True, timeout=300):
    """Run a command in the repository root and return its output."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    full_env.update(env or {})
    result = subprocess.run(
        list(args), cwd=REPO_ROOT, env=full_env, capture_output=True,
        text=True, timeout=timeout)
    output = result.stdout + result.stderr
    if check and result.returncode != 0:
        raise AssertionError(
            f'{" ".join(args)} failed ({result.returncode}):\n'
            f'{output[-4000:]}')
    return result.returncode, output


PYTHON = sys.executable
