"""NonFiniteLossHook stops training on a NaN loss, NaN/inf weights or
optimiser state, or a diverging loss, and keeps the good checkpoint."""
import os
import os.path as osp
import subprocess
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from tool_runner import FAST_OPTIONS, PYTHON, REPO_ROOT, TINY_CONFIG

from stpredict.engine.hooks import (DivergenceError, NonFiniteLossError,
                                    NonFiniteLossHook)
from stpredict.utils.checkpoint import safe_torch_load

TOOLS_TESTS = osp.dirname(osp.abspath(__file__))


def fake_runner(iteration, last_ckpt=None, model=None, optimizer=None):
    hub = MessageHub.get_instance('non_finite_loss_test')
    hub.update_info('last_ckpt', last_ckpt)
    model = model or torch.nn.Linear(2, 1)
    optimizer = optimizer or torch.optim.Adam(model.parameters())
    return SimpleNamespace(iter=iteration, message_hub=hub, model=model,
                           optim_wrapper=OptimWrapper(optimizer))


def loss(value):
    return dict(loss=torch.tensor(value), loss_frame=torch.tensor(value))


def test_finite_losses_pass():
    hook = NonFiniteLossHook()
    hook.after_train_iter(fake_runner(3), 0, outputs=loss(2.0))


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


def test_inf_weights_after_a_finite_loss(tmp_path):
    good = tmp_path / 'iter_4.pth'
    good.write_bytes(b'x')
    model = torch.nn.Linear(2, 1)
    with torch.no_grad():
        model.bias.fill_(float('inf'))
    with pytest.raises(NonFiniteLossError) as info:
        NonFiniteLossHook().after_train_iter(
            fake_runner(4, str(good), model), 0, outputs=loss(2.0))
    message = str(info.value)
    assert 'not finite after the optimiser step of iteration 5' in message
    assert '1 weight tensor(s): bias' in message
    assert f'The last good checkpoint is {good}' in message


def test_non_finite_optimiser_state():
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    optimizer.state[model.weight]['exp_avg_sq'].fill_(float('nan'))
    with pytest.raises(NonFiniteLossError,
                       match='optimiser state tensor.*exp_avg_sq of weight'):
        NonFiniteLossHook().after_train_iter(
            fake_runner(0, None, model, optimizer), 0, outputs=loss(1.0))


def test_no_checkpoint_with_non_finite_values_is_saved():
    hook = NonFiniteLossHook(check_interval=10)
    finite = dict(meta=dict(iter=3), state_dict=dict(w=torch.ones(2)),
                  optimizer=dict(state={0: dict(exp_avg=torch.ones(2))}))
    hook.before_save_checkpoint(fake_runner(2), finite)
    poisoned = dict(finite, optimizer=dict(
        state={0: dict(exp_avg=torch.tensor([1.0, float('inf')]))}))
    with pytest.raises(NonFiniteLossError) as info:
        hook.before_save_checkpoint(fake_runner(2), poisoned)
    assert 'checkpoint of iteration 3 was not saved' in str(info.value)
    assert 'optimizer.state.0.exp_avg' in str(info.value)


def test_divergence_guard(tmp_path):
    before = tmp_path / 'iter_6.pth'
    before.write_bytes(b'x')
    hook = NonFiniteLossHook(divergence_patience=3)
    for step in range(6):
        hook.after_train_iter(fake_runner(step, str(before)), 0,
                              outputs=loss(400.0 - step))
    # a spike that recovers is no divergence
    hook.after_train_iter(fake_runner(6), 0, outputs=loss(1e7))
    hook.after_train_iter(fake_runner(7), 0, outputs=loss(390.0))
    hook.after_train_iter(fake_runner(8, str(before)), 0,
                          outputs=loss(3e9))
    hook.after_train_iter(fake_runner(9), 0, outputs=loss(4e9))
    with pytest.raises(DivergenceError) as info:
        hook.after_train_iter(fake_runner(10), 0, outputs=loss(5e9))
    message = str(info.value)
    assert 'diverged: at iterations 9-11 it was 3e+09, 4e+09, 5e+09' \
        in message
    assert 'more than 1000 times its running level (397, the median of ' \
        'the 7 iterations before)' in message
    assert f'before the divergence is {before}' in message
    assert 'divergence_factor=None' in message
    assert isinstance(info.value, NonFiniteLossError)


def test_divergence_guard_options():
    off = NonFiniteLossHook(divergence_factor=None)
    for step, value in enumerate([1.0] + [1e9] * 10):
        off.after_train_iter(fake_runner(step), 0, outputs=loss(value))
    # losses at or below zero give no level to compare with
    negative = NonFiniteLossHook(divergence_patience=1)
    for step, value in enumerate([-5.0, -4.0, 1e9]):
        negative.after_train_iter(fake_runner(step), 0, outputs=loss(value))
    with pytest.raises(ValueError, match='divergence_factor'):
        NonFiniteLossHook(divergence_factor=0.5)
    with pytest.raises(ValueError, match='divergence_window'):
        NonFiniteLossHook(divergence_window=0)


def train(work_dir, *options, **env):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
               PYTHONPATH=TOOLS_TESTS + os.pathsep +
               os.environ.get('PYTHONPATH', ''), **env)
    result = subprocess.run(
        [PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', work_dir,
         '--cfg-options', *FAST_OPTIONS, *options],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def test_training_stops_and_keeps_last_good_checkpoint(tmp_path):
    work_dir = str(tmp_path)
    code, log = train(work_dir, 'train_cfg.max_iters=10',
                      'train_cfg.val_interval=100',
                      'custom_imports.imports=[crash_injection]',
                      STPREDICT_TEST_NAN_AT_ITER='6')
    assert code != 0
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


def test_inf_weights_from_a_finite_loss_are_never_saved(tmp_path):
    # SGD with lr=1e37: the loss of iteration 1 is finite, its step is not
    code, log = train(str(tmp_path), 'train_cfg.max_iters=4',
                      'optim_wrapper.optimizer.type=SGD',
                      'optim_wrapper.optimizer.lr=1e37',
                      'default_hooks.checkpoint.interval=1')
    assert code != 0
    assert 'weights are not finite after the optimiser step of ' \
        'iteration 1' in log
    assert 'No checkpoint was saved before it.' in log
    assert not [name for name in os.listdir(tmp_path)
                if name.endswith('.pth')]


def test_diverging_loss_stops_the_run(tmp_path):
    # Adam with lr=1e3: the loss jumps from ~500 to ~1e9 and stays there
    code, log = train(str(tmp_path), 'train_cfg.max_iters=30',
                      'train_cfg.val_interval=100',
                      'optim_wrapper.optimizer.lr=1000.0')
    assert code != 0
    assert 'DivergenceError: The training loss diverged' in log
    assert 'Iter(train) [30/30]' not in log
    assert not any(name.startswith('best_') for name in os.listdir(tmp_path))
