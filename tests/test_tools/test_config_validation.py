"""Impossible configs fail before training starts, naming cause and fix.

(That every shipped config passes these checks is tested in
``tests/test_configs.py``.)

Each case runs the checks of ``tools/train.py`` and the Runner in-process
(:func:`stpredict.testing.train_briefly`) and asserts that the error comes
before the first iteration: no checkpoint, no training log line.
"""
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from stpredict.apis.config_check import check_config
from stpredict.engine.hooks import PreflightError
from stpredict.testing import train_briefly
from stpredict.utils import register_all_modules
from stpredict.utils.registry_check import UnknownComponentError, suggest

TINY = 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'
TMU_TINY = 'configs/tmu/tmu_convlstm_2x32_flying3digits-10to10_cpu.py'
SMALL = {'model.neck.hidden_channels': 4}


def windows(frames):
    return {
        f'{loader}.dataset.input_frames': frames
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    }


def assert_nothing_trained(work_dir):
    assert not osp.exists(osp.join(work_dir, 'iter_1.pth'))
    assert not osp.exists(osp.join(work_dir, 'last_checkpoint'))


def test_input_frames_below_one(tmp_path):
    options = dict(SMALL, **{'model.input_frames': 0}, **windows(0))
    with pytest.raises(ValueError, match=r'input_frames must be an integer '
                       r'>= 1, got 0\. Set model\.input_frames'):
        train_briefly(TINY, str(tmp_path), cfg_options=options)
    assert_nothing_trained(str(tmp_path))


def test_frame_size_not_divisible_by_patch(tmp_path):
    options = dict(SMALL, **{'model.data_preprocessor.patch_size': 3})
    with pytest.raises(PreflightError) as info:
        train_briefly(TINY, str(tmp_path), cfg_options=options)
    message = str(info.value)
    assert message.startswith('Before training')
    assert 'FlyingDigits' in message and '[20, 1, 64, 64]' in message
    assert 'Frame size 64x64 is not divisible by the patch size 3' in message
    assert 'data_preprocessor.patch_size' in message
    assert_nothing_trained(str(tmp_path))


def test_frame_size_not_divisible_by_pyramid(tmp_path):
    # 36 / patch 2 = 18 pixels, not divisible by the pyramid's factor 4
    options = {
        'model.neck.type': 'MultiScalePyramid',
        'model.neck.num_layers': 6,
        'model.neck.hidden_channels': 4,
        'model.data_preprocessor.patch_size': 2,
        'train_dataloader.dataset.image_size': 36,
    }
    with pytest.raises(PreflightError) as info:
        train_briefly(TINY, str(tmp_path), cfg_options=options)
    message = str(info.value)
    assert 'MultiScalePyramid with scales [1, 2, 4, 4, 2, 1]' in message
    assert 'divide by 4, got 18x18' in message
    assert 'fewer down-sampling levels' in message
    assert_nothing_trained(str(tmp_path))


def test_transfer_memory_shapes_differ(tmp_path):
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'test_models',
                                'test_transfer'))
    from transfer_fixtures import write_source
    register_all_modules(init_default_scope=False)
    sources = []
    for index in range(2):  # hidden 4 sources, a hidden 8 target
        config, checkpoint, _ = write_source(
            tmp_path, name=f'source{index}', patch=1, hidden=4, frames=10)
        sources.append(dict(name=f's{index}', config=config,
                            checkpoint=checkpoint))
    options = {
        'model.neck.hidden_channels': 8,
        'model.neck.num_layers': 2,
        'model.transfer.sources': sources,
    }
    with pytest.raises(PreflightError) as info:
        train_briefly(TMU_TINY, str(tmp_path / 'work'), cfg_options=options)
    message = str(info.value)
    # the tiny target patches 4 x 4 pixels: memories of 64 / 4 = 16 pixels
    assert 'Memory transfer: target layer 0 has a memory of shape ' \
        '(8, 16, 16)' in message
    assert 'source "s0" layer 0 gives (4, 64, 64)' in message
    assert 'equal hidden_channels' in message
    assert_nothing_trained(str(tmp_path / 'work'))


@pytest.mark.parametrize('key,typo,registry,meant', [
    ('model.neck.cell.type', 'ConvLSMTCell', 'CELLS', 'ConvLSTMCell'),
    ('model.neck.cell.type', 'ConvLSTM', 'CELLS', 'ConvLSTMCell'),
    ('model.neck.type', 'MultiScalePyramide', 'NECKS', 'MultiScalePyramid'),
    ('train_dataloader.dataset.type', 'FlyingDigit', 'DATASETS',
     'FlyingDigits'),
    ('val_evaluator.2.type', 'SSMI', 'METRICS', 'SSIM'),
    ('custom_hooks.0.type', 'ScheduledSampleHook', 'HOOKS',
     'ScheduledSamplingHook'),
    ('optim_wrapper.optimizer.type', 'adam', 'OPTIMIZERS', 'Adam'),
])
def test_unknown_names_suggest_the_meant_one(key, typo, registry, meant):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY)
    cfg.merge_from_dict({key: typo})
    with pytest.raises(UnknownComponentError) as info:
        check_config(cfg)
    message = str(info.value)
    assert message.startswith(f"{key}={typo!r} is not in the {registry} "
                              'registry. Did you mean')
    assert repr(meant) in message.split('?')[0]
    assert 'list_modules.py' in message and 'custom_imports' in message


def test_unknown_transfer_name(tmp_path):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TMU_TINY)
    cfg.merge_from_dict({'model.transfer.type': 'MemoryTransfers'})
    with pytest.raises(UnknownComponentError,
                       match="model.transfer.type='MemoryTransfers' is not in "
                       "the TRANSFERS registry. Did you mean "
                       "'MemoryTransfer'"):
        check_config(cfg)


def test_suggestions():
    names = ['ConvLSTMCell', 'TrajGRUCell', 'SpatioTemporalLSTMCell']
    assert suggest('convlstmcell', names)[0] == 'ConvLSTMCell'
    assert suggest('TrajGRU', names) == ['TrajGRUCell']
    assert suggest('Transformer', names) == []
