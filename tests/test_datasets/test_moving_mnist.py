import pickle

import numpy as np
import pytest
import torch
from mmengine import DefaultScope

from stpredict.datasets import MovingMNIST
from stpredict.registry import DATASETS


def write_sequences(path, num_frames=20, num_sequences=5, size=64):
    """A fake mnist_test_seq.npy: pixel value = 10 * frame + sequence."""
    frames = np.arange(num_frames, dtype=np.uint8)[:, None, None, None] * 10
    sequences = np.arange(num_sequences, dtype=np.uint8)[None, :, None, None]
    array = np.broadcast_to(frames + sequences,
                            (num_frames, num_sequences, size, size))
    np.save(path, np.ascontiguousarray(array))
    return str(path)


@pytest.fixture
def data_root(tmp_path):
    write_sequences(tmp_path / 'mnist_test_seq.npy')
    return str(tmp_path)


def test_samples_keep_frame_order(data_root):
    dataset = MovingMNIST(data_root=data_root)
    assert len(dataset) == 5
    sample = dataset[3]
    inputs = sample['inputs']
    assert inputs.dtype == torch.uint8 and inputs.is_contiguous()
    assert tuple(inputs.shape) == (20, 1, 64, 64)
    for t in range(20):
        assert (inputs[t] == 10 * t + 3).all()
    meta = sample['data_samples'].metainfo
    assert meta['sample_idx'] == 3 and meta['sequence_idx'] == 3
    assert meta['input_frames_num'] == 10
    assert meta['output_frames_num'] == 10
    assert meta['split'] == 'test'


def test_shorter_windows_use_the_first_frames(data_root):
    dataset = MovingMNIST(data_root=data_root, input_frames=4,
                          output_frames=3)
    info = dataset.get_data_info(2)
    info.update(dataset.load_sequence(info))
    frames = info['frames']
    assert frames.shape == (7, 64, 64, 1) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames[:, 0, 0, 0], 10 * np.arange(7) + 2)
    assert info['input_frames_num'] == 4 and info['output_frames_num'] == 3


def test_indices_pick_sequences(data_root):
    dataset = MovingMNIST(data_root=data_root, indices=[4, 1])
    assert len(dataset) == 2
    meta = dataset[0]['data_samples'].metainfo
    assert meta['sample_idx'] == 0 and meta['sequence_idx'] == 4
    assert int(dataset[0]['inputs'][0, 0, 0, 0]) == 4
    assert len(MovingMNIST(data_root=data_root, indices=3)) == 3


def test_absolute_file_name(tmp_path):
    path = write_sequences(tmp_path / 'other.npy', num_sequences=2)
    dataset = MovingMNIST(data_root='does/not/matter', file_name=path)
    assert dataset.data_file == path and len(dataset) == 2


def test_file_is_memory_mapped_and_not_pickled(tmp_path):
    write_sequences(tmp_path / 'mnist_test_seq.npy', num_sequences=200)
    dataset = MovingMNIST(data_root=str(tmp_path))
    assert isinstance(dataset._array, np.memmap)
    blob = pickle.dumps(dataset)
    assert len(blob) < 200_000  # the file holds 16 MB
    copy = pickle.loads(blob)
    assert copy._array is None
    assert torch.equal(copy[150]['inputs'], dataset[150]['inputs'])
    assert isinstance(copy._array, np.memmap)


def test_missing_file_message(tmp_path):
    root = str(tmp_path / 'moving_mnist')
    with pytest.raises(FileNotFoundError) as info:
        MovingMNIST(data_root=root)
    message = str(info.value)
    assert f'{root}/mnist_test_seq.npy' in message
    assert 'data/moving_mnist/mnist_test_seq.npy' in message
    assert 'http://www.cs.toronto.edu/~nitish/unsupervised_video/' in message
    assert 'FlyingDigits' in message and 'no download' in message


@pytest.mark.parametrize('array', [
    np.zeros((20, 5, 64), np.uint8),
    np.zeros((20, 5, 64, 64), np.float32),
    np.zeros((20, 0, 64, 64), np.uint8),
])
def test_bad_layout_message(tmp_path, array):
    path = tmp_path / 'mnist_test_seq.npy'
    np.save(path, array)
    with pytest.raises(ValueError) as info:
        MovingMNIST(data_root=str(tmp_path))
    assert str(path) in str(info.value)
    assert '(20, N, 64, 64)' in str(info.value)


def test_not_an_npy_file(tmp_path):
    (tmp_path / 'mnist_test_seq.npy').write_bytes(b'not numpy at all')
    with pytest.raises(ValueError, match='not a readable .npy file'):
        MovingMNIST(data_root=str(tmp_path))


def test_too_many_frames(data_root):
    with pytest.raises(ValueError, match='only 20 frames'):
        MovingMNIST(data_root=data_root, input_frames=10, output_frames=11)


@pytest.mark.parametrize('kwargs, words', [
    (dict(split='train'), "only the split 'test'"),
    (dict(input_frames=0), 'input_frames must be an int >= 1'),
    (dict(output_frames=2.5), 'output_frames must be an int >= 1'),
])
def test_invalid_arguments(data_root, kwargs, words):
    with pytest.raises(ValueError) as info:
        MovingMNIST(data_root=data_root, **kwargs)
    assert words in str(info.value)


def test_build_from_config_with_and_without_default_scope(data_root):
    cfg = dict(type='MovingMNIST', data_root=data_root, indices=2)
    dataset = DATASETS.build(cfg)
    assert isinstance(dataset, MovingMNIST) and len(dataset) == 2
    with DefaultScope.overwrite_default_scope('stpredict'):
        dataset = DATASETS.build(
            dict(cfg, pipeline=[dict(type='PackSequenceInputs')]))
        assert tuple(dataset[1]['inputs'].shape) == (20, 1, 64, 64)
