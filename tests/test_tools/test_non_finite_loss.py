"""NonFiniteLossHook stops training on a NaN loss and keeps the good
checkpoint."""
import os
import os.path as osp
import subprocess
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from tool_runner import FAST_OPTIONS, PYTHON, REPO_ROOT, TINY_CONFIG

from stpredict.engine.hooks import NonFiniteLossError, NonFiniteLossHook
from stpredict.utils.checkpoint import safe_torch_load

TOOLS_TESTS = osp.dirname(osp.abspath(__file__))


def fake_runner(iteration, last_ckpt=None):
    hub = MessageHub.get_instance('non_finite_loss_test')
    hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(iter=iteration, message_hub=hub)


def test_finite_losses_pass():
    hook = NonFiniteLossHook()
    hook.after_train_iter(
        fake_runner(3), 0,
        outputs=dict(loss=torch.tensor(2.0), loss_frame=torch.tensor(2.0)))


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_message_names_iteration_value_and_checkpoint(tmp_path, bad):
    good = tmp_path / 'iter_40.pth'
    good.write_bytes(b'x')
    hook = NonFiniteLossHook()
    with pytest.raises(NonFiniteLossError) as info:
        hook.after_train_iter(
            fake_runner(41, str(good)), 0,
            outputs=dict(loss=torch.tensor(bad), loss_frame=torch.tensor(1.)))
    message = str(info.value)
    assert 'iteration 42' in message
    assert f'loss={bad}' in message and 'loss_frame' not in message
    assert str(good) in message
    assert 'clip_grad' in message and 'lr' in message


def test_check_interval():
    hook = NonFiniteLossHook(check_interval=2)
    nan = dict(loss=torch.tensor(float('nan')))
    hook.after_train_iter(fake_runner(0), 0, outputs=nan)  # iteration 1
    with pytest.raises(NonFiniteLossError, match='iteration 2'):
        hook.after_train_iter(fake_runner(1), 0, outputs=nan)
    with pytest.raises(ValueError, match='check_interval'):
        NonFiniteLossHook(check_interval=0)


def test_training_stops_and_keeps_last_good_checkpoint(tmp_path):
    work_dir = str(tmp_path)
    options = FAST_OPTIONS + [
        'train_cfg.max_iters=10', 'train_cfg.val_interval=100',
        'custom_imports.imports=[crash_injection]'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
               STPREDICT_TEST_NAN_AT_ITER='6',
               PYTHONPATH=TOOLS_TESTS + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    result = subprocess.run(
        [PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', work_dir,
         '--cfg-options', *options],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'NonFiniteLossError' in log
    assert 'not finite at iteration 6 (loss=nan' in log
    last_good = osp.join(work_dir, 'iter_4.pth')
    assert f'The last good checkpoint is {last_good}' in log
    # the poisoned weights of iteration 6 (a checkpoint iteration) were not
    # saved and the record still names the good checkpoint
    assert not osp.exists(osp.join(work_dir, 'iter_6.pth'))
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        assert file.read().strip() == 'iter_4.pth'  # relative to work dir
    state = safe_torch_load(last_good)['state_dict']
    assert all(torch.isfinite(value).all() for value in state.values())
