"""Properties of the custom-data loaders on random arrays and frame folders.

Random small ``.npy`` arrays (:class:`ArraySequences`) and folders of PNG
frames (:class:`FrameFolderSequences`) with random lengths, sizes and window
settings: the number of windows follows the window rule, every window has
the right shape and dtype and equals its slice of the source; damaged files
fail with an error that names them.
"""
import os
import os.path as osp
import shutil
import tempfile

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from stpredict.datasets import ArraySequences, FrameFolderSequences

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
ERRORS = (ValueError, OSError)


def expected_windows(length: int, total: int, stride: int,
                     interval: int) -> int:
    """The window rule: ``floor((n - span) / stride) + 1`` or 0."""
    span = (total - 1) * interval + 1
    return 0 if length < span else (length - span) // stride + 1


@st.composite
def window_settings(draw):
    input_frames = draw(st.integers(1, 3))
    output_frames = draw(st.integers(1, 3))
    interval = draw(st.integers(1, 2))
    stride = draw(st.one_of(st.none(), st.integers(1, 4)))
    total = input_frames + output_frames
    return dict(input_frames=input_frames, output_frames=output_frames,
                interval=interval, stride=stride), (
                    stride or total * interval)


@st.composite
def sequence_arrays(draw):
    """``(array, channels_last)``: ``[N, T, H, W]``, ``[N, T, C, H, W]`` or
    ``[N, T, H, W, C]`` of uint8 or float32 in ``[0, 1]``."""
    num = draw(st.integers(1, 3))
    length = draw(st.integers(1, 8))
    height, width = draw(st.integers(1, 16)), draw(st.integers(1, 16))
    layout = draw(st.sampled_from(['4d', 'channels_first', 'channels_last']))
    channels = draw(st.integers(1, 3))
    shape = {
        '4d': (num, length, height, width),
        'channels_first': (num, length, channels, height, width),
        'channels_last': (num, length, height, width, channels),
    }[layout]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        array = rng.integers(0, 256, shape, dtype=np.uint8)
    else:
        array = rng.random(shape, dtype=np.float32)
    return array, layout == 'channels_last'


def frames_of(array: np.ndarray, row: int, indices, channels_last: bool):
    """The expected ``[T, H, W, C]`` frames of one window."""
    frames = array[row, list(indices)]
    if frames.ndim == 3:
        return frames[..., None]
    return frames if channels_last else frames.transpose(0, 2, 3, 1)


@SETTINGS
@given(sequence_arrays(), window_settings())
def test_array_sequences_windows(case, windows):
    array, channels_last = case
    kwargs, stride = windows
    total = kwargs['input_frames'] + kwargs['output_frames']
    per_row = expected_windows(array.shape[1], total, stride,
                               kwargs['interval'])
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'seqs.npy')
        np.save(path, array)
        build = (lambda: ArraySequences(
            data_file=path, split_mode='all', serialize_data=False,
            channels_last=channels_last,
            **kwargs))
        if per_row == 0:
            with pytest.raises(ValueError, match='long enough') as info:
                build()
            assert path in str(info.value)
            return
        dataset = build()
        assert len(dataset) == array.shape[0] * per_row
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            row = info['video_idx']
            start = info['start_frame']
            assert start == (index % per_row) * stride
            frames = dataset.load_sequence(info)['frames']
            indices = range(start, start + total * kwargs['interval'],
                            kwargs['interval'])
            expected = frames_of(array, row, indices, channels_last)
            assert frames.shape == expected.shape
            assert frames.dtype == (np.uint8 if array.dtype == np.uint8
                                    else np.float32)
            assert np.array_equal(frames, expected)
        del dataset


@st.composite
def frame_folders(draw):
    """Lengths of 1-3 sequences, one frame size, gray or RGB."""
    lengths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=3))
    size = (draw(st.integers(1, 16)), draw(st.integers(1, 16)))
    color = draw(st.sampled_from(['gray', 'rgb']))
    seed = draw(st.integers(0, 2**32 - 1))
    return lengths, size, color, seed


def write_folder(root: str, lengths, size, color, seed):
    """Random PNG frames ``<root>/seq<i>/<t>.png``; returns their RGB/gray
    arrays ``[T, H, W, C]`` per sequence."""
    rng = np.random.default_rng(seed)
    sequences = []
    for i, length in enumerate(lengths):
        directory = osp.join(root, f'seq{i}')
        os.makedirs(directory)
        channels = 1 if color == 'gray' else 3
        frames = rng.integers(0, 256, (length, *size, channels),
                              dtype=np.uint8)
        for t, frame in enumerate(frames):
            image = frame[..., 0] if color == 'gray' else frame[..., ::-1]
            # unpadded numbers: natural order must still hold (2 < 10)
            assert cv2.imwrite(osp.join(directory, f'{t}.png'), image)
        sequences.append(frames)
    return sequences


@SETTINGS
@given(frame_folders(), window_settings())
def test_frame_folder_windows(case, windows):
    lengths, size, color, seed = case
    kwargs, stride = windows
    total = kwargs['input_frames'] + kwargs['output_frames']
    counts = [expected_windows(n, total, stride, kwargs['interval'])
              for n in lengths]
    with tempfile.TemporaryDirectory() as root:
        sequences = write_folder(root, lengths, size, color, seed)
        build = (lambda: FrameFolderSequences(
            data_root=root, split_mode='all', serialize_data=False,
            color=color, **kwargs))
        if sum(counts) == 0:
            with pytest.raises(ValueError, match='long enough') as info:
                build()
            assert root in str(info.value)
            return
        dataset = build()
        assert len(dataset) == sum(counts)
        assert [r.length for r in dataset.sequences] == lengths
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            source = sequences[info['video_idx']]
            start = info['start_frame']
            frames = dataset.load_sequence(info)['frames']
            expected = source[start:start + total * kwargs['interval']:
                              kwargs['interval']]
            assert frames.dtype == np.uint8
            assert frames.shape == (total, *size, 1 if color == 'gray' else 3)
            assert np.array_equal(frames, expected)
        # the packed sample keeps the values, as [T, C, H, W]
        packed = dataset[0]['inputs']
        assert tuple(packed.shape) == (total, frames.shape[-1], *size)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_as_npy_fail_naming_the_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'broken.npy')
        with open(path, 'wb') as file:
            file.write(data)
        with pytest.raises(ERRORS) as info:
            ArraySequences(data_file=path, split_mode='all',
                           input_frames=1, output_frames=1,
                           serialize_data=False)
        assert path in str(info.value)


@SETTINGS
@given(st.binary(min_size=0, max_size=300))
def test_random_bytes_as_png_fail_naming_the_file(data):
    assume(not data.startswith(b'\x89PNG'))
    with tempfile.TemporaryDirectory() as root:
        write_folder(root, [2], (4, 4), 'gray', 0)
        path = osp.join(root, 'seq0', '1.png')
        dataset = FrameFolderSequences(data_root=root, split_mode='all',
                                       input_frames=1, output_frames=1,
                                       serialize_data=False)
        with open(path, 'wb') as file:
            file.write(data)
        with pytest.raises(ERRORS) as info:
            dataset[0]
        assert path in str(info.value)


BAD_ARRAYS = st.sampled_from([
    ('ndim', lambda rng: rng.integers(0, 255, (4, 4), dtype=np.uint8)),
    ('ndim', lambda rng: rng.integers(0, 255, (2, 4, 4), dtype=np.uint8)),
    ('ndim', lambda rng: rng.integers(0, 255, (1, 2, 1, 2, 2, 2),
                                      dtype=np.uint8)),
    ('dtype', lambda rng: rng.random((1, 4, 4, 4)) > 0.5),
    ('dtype', lambda rng: rng.random((1, 4, 4, 4)).astype(np.complex64)),
    ('dtype', lambda rng: np.full((1, 4, 4, 4), 'x')),
    ('dtype', lambda rng: rng.integers(0, 9, (1, 4, 4, 4), dtype=np.int16)),
    ('range', lambda rng: rng.random((1, 4, 4, 4)) * 255),
])


@SETTINGS
@given(BAD_ARRAYS, st.integers(0, 2**32 - 1))
def test_wrong_dtype_or_ndim_fails_naming_the_file(bad, seed):
    kind, make = bad
    array = make(np.random.default_rng(seed))
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'bad.npy')
        np.save(path, array)
        with pytest.raises(ValueError) as info:
            dataset = ArraySequences(data_file=path, split_mode='all',
                                     input_frames=1, output_frames=1,
                                     serialize_data=False)
            # values out of [0, 1] are found when a window is read
            for index in range(len(dataset)):
                dataset[index]
        message = str(info.value)
        assert path in message
        words = {'ndim': '[N, T, H, W]', 'dtype': 'dtype', 'range': '[0, 1]'}
        assert words[kind] in message or 'value_range' in message


def test_folder_of_frames_without_sequences_is_explained(tmp_path):
    write_folder(str(tmp_path), [3], (4, 4), 'gray', 0)
    for name in os.listdir(tmp_path / 'seq0'):
        shutil.move(str(tmp_path / 'seq0' / name), str(tmp_path / name))
    os.rmdir(tmp_path / 'seq0')
    with pytest.raises(ValueError, match='no sequence folders') as info:
        FrameFolderSequences(data_root=str(tmp_path))
    assert '3 frame files directly' in str(info.value)
