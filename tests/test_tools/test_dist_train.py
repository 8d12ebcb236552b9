"""tools/dist_train.sh runs with 2 CPU processes (gloo)."""
import os.path as osp

import torch
from tool_runner import FAST_OPTIONS, TINY_CONFIG, run_tool

from stpredict.utils.checkpoint import safe_torch_load


def test_two_cpu_processes(tmp_path):
    work_dir = str(tmp_path)
    _, log = run_tool('bash', 'tools/dist_train.sh', TINY_CONFIG, '2',
                      '--work-dir', work_dir, '--auto-scale-lr',
                      '--cfg-options',
                      'train_cfg.max_iters=2', *FAST_OPTIONS,
                      env=dict(PORT='29517'))
    if torch.cuda.is_available():  # pragma: no cover - GPU machines
        return
    assert "backend='gloo'" in log or 'backend="gloo"' in log
    assert 'Iter(train) [2/2]' in log
    # two CPU processes, not "GPU number: 2"
    assert 'Processes: 2 (CPU, no GPU)' in log
    assert 'GPU number' not in log
    assert 'mse_per_frame:' in log
    # --auto-scale-lr: 2 processes x batch 2 vs the config's batch 2
    assert 'lr: 2.0000e-03' in log
    checkpoint = safe_torch_load(osp.join(work_dir, 'iter_2.pth'))
    assert checkpoint['meta']['iter'] == 2
    # the DDP wrapper is not part of the saved weights
    assert not any(k.startswith('module.') for k in checkpoint['state_dict'])


def test_time_checkpointing_under_ddp_trains_the_same_weights(tmp_path):
    """model.checkpoint_every=1 (recompute every step in the backward pass)
    with 2 DDP processes reaches the weights of the plain run."""
    weights = {}
    for every in (0, 1):
        work_dir = str(tmp_path / f'every{every}')
        _, log = run_tool('bash', 'tools/dist_train.sh', TINY_CONFIG, '2',
                          '--work-dir', work_dir, '--cfg-options',
                          'train_cfg.max_iters=2',
                          f'model.checkpoint_every={every}',
                          'randomness.seed=5', *FAST_OPTIONS,
                          env=dict(PORT=f'2952{every}'))
        assert 'Iter(train) [2/2]' in log
        weights[every] = safe_torch_load(osp.join(
            work_dir, 'iter_2.pth'))['state_dict']
    assert set(weights[0]) == set(weights[1])
    for name, plain in weights[0].items():
        torch.testing.assert_close(weights[1][name], plain, rtol=1e-5,
                                   atol=1e-6, msg=name)
