import warnings

import numpy as np
import pytest
import torch
from mmengine import DefaultScope

from stpredict.datasets.transforms import PackSequenceInputs
from stpredict.registry import TRANSFORMS
from stpredict.structures import SequenceDataSample


def make_results(frames):
    return dict(
        frames=frames,
        sample_idx=7,
        sequence_idx=42,
        input_frames_num=3,
        output_frames_num=2,
        split='val',
        positions=np.zeros((1, 5, 2)))


def test_pack_moves_channels_first_and_keeps_values():
    frames = np.random.default_rng(0).integers(
        0, 256, size=(5, 6, 7, 3), dtype=np.uint8)
    packed = PackSequenceInputs()(make_results(frames))

    assert set(packed) == {'inputs', 'data_samples'}
    inputs = packed['inputs']
    assert inputs.dtype == torch.uint8
    assert tuple(inputs.shape) == (5, 3, 6, 7)
    assert inputs.is_contiguous()
    # inputs[t, c, h, w] == frames[t, h, w, c]
    assert torch.equal(inputs, torch.from_numpy(frames).permute(0, 3, 1, 2))
    assert int(inputs[4, 2, 5, 6]) == int(frames[4, 5, 6, 2])


def test_pack_metainfo_has_required_and_requested_keys():
    frames = np.zeros((5, 4, 4, 1), np.uint8)
    sample = PackSequenceInputs()(make_results(frames))['data_samples']
    assert isinstance(sample, SequenceDataSample)
    assert sample.metainfo == dict(
        sample_idx=7,
        sequence_idx=42,
        input_frames_num=3,
        output_frames_num=2,
        split='val')

    # required keys are always packed; absent optional keys are skipped
    transform = PackSequenceInputs(meta_keys=('positions', 'not_there'))
    sample = transform(make_results(frames))['data_samples']
    assert set(sample.metainfo) == {
        'sample_idx', 'input_frames_num', 'output_frames_num', 'positions'
    }
    assert transform.meta_keys[:3] == PackSequenceInputs.REQUIRED_META_KEYS


def test_pack_read_only_frames_without_warning():
    frames = np.ones((2, 3, 3, 1), np.uint8)
    frames.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        inputs = PackSequenceInputs()(make_results(frames))['inputs']
    inputs += 1  # owns writable memory
    assert int(frames.sum()) == 18


@pytest.mark.parametrize('frames, error, words', [
    (np.zeros((5, 4, 4, 1), np.float64), TypeError, 'float32'),
    (np.zeros((5, 4, 4, 1), np.int16), TypeError, 'uint8'),
    (np.full((5, 4, 4, 1), 1.5, np.float32), ValueError, '[0, 1]'),
    (np.full((5, 4, 4, 1), np.nan, np.float32), ValueError, '[0, 1]'),
    (np.zeros((5, 4, 4), np.uint8), ValueError, '[T, H, W, C]'),
    (torch.zeros(5, 4, 4, 1, dtype=torch.uint8), TypeError, 'numpy'),
])
def test_pack_rejects_bad_frames(frames, error, words):
    with pytest.raises(error) as info:
        PackSequenceInputs()(make_results(frames))
    assert words in str(info.value)


def test_pack_names_missing_keys():
    with pytest.raises(KeyError, match='frames'):
        PackSequenceInputs()(dict(sample_idx=0))
    results = make_results(np.zeros((5, 4, 4, 1), np.uint8))
    del results['output_frames_num']
    with pytest.raises(KeyError, match='output_frames_num'):
        PackSequenceInputs()(results)


def test_pack_builds_from_registry_with_and_without_scope():
    assert isinstance(
        TRANSFORMS.build(dict(type='PackSequenceInputs')), PackSequenceInputs)
    with DefaultScope.overwrite_default_scope('stpredict'):
        assert isinstance(
            TRANSFORMS.build(dict(type='PackSequenceInputs')),
            PackSequenceInputs)


def test_pack_keeps_float32_frames_in_unit_range():
    frames = np.random.default_rng(1).random((4, 5, 6, 2), dtype=np.float32)
    inputs = PackSequenceInputs()(make_results(frames))['inputs']
    assert inputs.dtype == torch.float32 and inputs.is_contiguous()
    assert tuple(inputs.shape) == (4, 2, 5, 6)
    assert torch.equal(inputs, torch.from_numpy(frames).permute(0, 3, 1, 2))
