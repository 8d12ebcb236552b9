"""Weights that do not fit the model stop test, load_from and resume.

mmengine loads checkpoints non-strictly: ``tools/test.py`` with an empty
state_dict used to report the metrics of a random model with rc 0.
"""
from collections import OrderedDict
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from tool_runner import FAST_OPTIONS, PYTHON, TINY_CONFIG, run_tool

from stpredict.engine.hooks import StrictLoadHook
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules
from stpredict.utils.checkpoint import WeightsMismatchError


class Tiny(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(1, 2, 1)
        self.head = torch.nn.Conv2d(2, 1, 1)


def fake_runner(model):
    return SimpleNamespace(
        model=model, _load_from='/runs/a/iter_9.pth',
        cfg=SimpleNamespace(filename='configs/x.py'),
        message_hub=MessageHub.get_instance('strict_load_test'))


def partial_state():
    state = Tiny().state_dict()
    del state['head.bias']
    state['stem.weight'] = torch.zeros(3, 1, 1, 1)
    state['module.extra'] = torch.zeros(1)  # DDP's prefix is stripped
    return {'state_dict': state}


def test_mismatch_is_listed():
    hook = StrictLoadHook()
    with pytest.raises(WeightsMismatchError) as info:
        hook.after_load_checkpoint(fake_runner(Tiny()), partial_state())
    message = str(info.value)
    assert '"/runs/a/iter_9.pth"' in message and 'configs/x.py' in message
    assert "1 missing: ['head.bias']" in message
    assert "1 unexpected: ['extra']" in message
    assert 'stem.weight: checkpoint (3, 1, 1, 1) vs model (2, 1, 1, 1)' \
        in message
    assert 'default_hooks.strict_load.allow_missing' in message
    # a fitting checkpoint passes
    hook.after_load_checkpoint(fake_runner(Tiny()),
                               {'state_dict': Tiny().state_dict()})


def test_non_strict_only_by_name():
    StrictLoadHook(strict=False).after_load_checkpoint(
        fake_runner(Tiny()), partial_state())
    StrictLoadHook(
        allow_missing=['head.*'], allow_unexpected=['extra'],
        allow_mismatched=['stem.weight']).after_load_checkpoint(
            fake_runner(Tiny()), partial_state())
    with pytest.raises(WeightsMismatchError, match='stem.weight'):
        StrictLoadHook(allow_missing=['head.*'],
                       allow_unexpected=['extra']).after_load_checkpoint(
                           fake_runner(Tiny()), partial_state())
    with pytest.raises(TypeError, match='list of key patterns'):
        StrictLoadHook(allow_missing='head.*')


@pytest.fixture(scope='module')
def partial_checkpoint(tmp_path_factory):
    """The tiny model's weights without the head, as tools/train.py saves
    them (meta, state_dict)."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict({'model.neck.hidden_channels': 8})
    state = MODELS.build(cfg.model).state_dict()
    kept = OrderedDict(
        (key, value) for key, value in state.items()
        if not key.startswith('head.'))
    assert len(kept) < len(state)
    path = tmp_path_factory.mktemp('partial') / 'partial.pth'
    torch.save(dict(meta=dict(iter=2, epoch=0), state_dict=kept), path)
    return str(path)


@pytest.mark.parametrize('entry', ['test', 'load_from', 'resume'])
def test_tools_refuse_partial_weights(tmp_path, partial_checkpoint, entry):
    work = ['--work-dir', str(tmp_path)]
    if entry == 'test':
        args = ['tools/test.py', TINY_CONFIG, partial_checkpoint, *work,
                '--cfg-options', *FAST_OPTIONS]
    elif entry == 'load_from':
        args = ['tools/train.py', TINY_CONFIG, *work, '--cfg-options',
                *FAST_OPTIONS, f'load_from={partial_checkpoint}']
    else:
        args = ['tools/train.py', TINY_CONFIG, *work, '--resume',
                partial_checkpoint, '--cfg-options', *FAST_OPTIONS]
    code, log = run_tool(PYTHON, *args, check=False)
    assert code != 0
    assert 'WeightsMismatchError' in log
    assert f'The weights of checkpoint "{partial_checkpoint}" do not fit' \
        in log
    assert 'missing: [\'head.' in log
    # it stopped before any work
    assert 'Iter(test)' not in log and 'Iter(train)' not in log
    assert 'mse_per_frame:' not in log
