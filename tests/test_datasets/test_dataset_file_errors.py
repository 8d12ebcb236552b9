"""Damaged data files fail with the file named, the expectation and the fix.

Every file-reading loader is given files that are empty, of the wrong shape,
of the wrong dtype or unreadable (random bytes, cut, a directory in place of
the file, no read permission). Array files are checked when the dataset is
built; frame images are read lazily, so theirs fail when the sample is read.
"""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from dataset_fixtures import (make_human36m, make_kth, make_weizmann,
                              write_frames)

from stpredict.datasets import (KTH, ArraySequences, FrameFolderSequences,
                                Human36M, MovingMNIST, RadarEcho, TaxiBJ,
                                Weizmann, load_mnist_images)

RUNS_AS_ROOT = hasattr(os, 'geteuid') and os.geteuid() == 0
ERRORS = (ValueError, OSError)


def random_bytes(size: int = 300) -> bytes:
    """Bytes that start with no known file signature."""
    data = np.random.default_rng(0).integers(0, 256, size, np.uint8)
    return b'junk' + data.tobytes()


def save_npy(path: str, array: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as file:
        np.save(file, array, allow_pickle=True)


def cut_in_half(path: str) -> None:
    with open(path, 'rb') as file:
        data = file.read()
    with open(path, 'wb') as file:
        file.write(data[:len(data) // 2])


def replace_with_dir(path: str) -> None:
    os.remove(path)
    os.makedirs(path)


def check_message(error: BaseException, path: str, *words: str) -> None:
    message = str(error)
    assert path in message, message
    for word in words:
        assert word in message, message


# --- loaders of one array file (checked when the dataset is built) -------

def _taxibj_arrays(x=None, y=None, frames=4, dtype=np.float32):
    arrays = {}
    for part in ('train', 'test'):
        arrays[f'X_{part}'] = np.zeros((3, frames, 2, 4, 4), dtype)
        arrays[f'Y_{part}'] = np.zeros((3, 4, 2, 4, 4), dtype)
    if x is not None:
        arrays['X_train'] = x
    if y is not None:
        arrays['Y_train'] = y
    return arrays


def _save_taxibj(path, **kwargs):
    np.savez(path, **_taxibj_arrays(**kwargs))


# name: (file below tmp_path, writer of good or bad arrays, builder, words
# of the expectation / fix in the message, {damage: bad array})
ARRAY_LOADERS = {
    'moving_mnist': dict(
        file='mm/mnist_test_seq.npy',
        good=np.zeros((6, 3, 8, 8), np.uint8),
        build=lambda path: MovingMNIST(
            data_root=osp.dirname(path), file_name=osp.basename(path),
            input_frames=2, output_frames=2,
            serialize_data=False),
        fix='unsupervised_video',
        bad=dict(
            wrong_dtype=(np.zeros((6, 3, 8, 8), np.float64), 'uint8'),
            strings=(np.full((6, 3, 8, 8), 'a'), 'uint8'),
            wrong_ndim=(np.zeros((6, 8, 8), np.uint8), '(20, N, 64, 64)'),
            too_few_frames=(np.zeros((3, 3, 8, 8), np.uint8), 'only 3'))),
    'array_sequences': dict(
        file='arrays/seqs.npy',
        good=np.zeros((3, 6, 8, 8), np.uint8),
        build=lambda path: ArraySequences(
            data_file=path, split_mode='all', input_frames=2,
            output_frames=2, serialize_data=False),
        fix='np.save',
        bad=dict(
            wrong_dtype=(np.zeros((3, 6, 8, 8), np.int32), 'value_range'),
            strings=(np.full((3, 6, 8, 8), 'a'), 'numbers are expected'),
            wrong_ndim=(np.zeros((6, 8, 8), np.uint8), '[N, T, H, W]'),
            too_few_frames=(np.zeros((3, 3, 8, 8), np.uint8),
                            'long enough'))),
    'radar_echo': dict(
        file='radar/train/seq.npy',
        good=np.zeros((6, 8, 8), np.uint8),
        build=lambda path: RadarEcho(
            data_root=osp.dirname(osp.dirname(path)), split='train',
            input_frames=2, output_frames=2,
            serialize_data=False),
        fix='radar_echo.py',
        # a folder is a sequence of frame files for RadarEcho
        directory_words='holds no frames',
        bad=dict(
            wrong_dtype=(np.zeros((6, 8, 8), np.float64), 'uint8'),
            strings=(np.full((6, 8, 8), 'a'), 'uint8'),
            wrong_ndim=(np.zeros((6, 8, 8, 3), np.uint8), '[T, H, W]'),
            too_few_frames=(np.zeros((3, 8, 8), np.uint8), 'long enough'))),
}
ARRAY_DAMAGES = ('empty', 'random_bytes', 'truncated', 'object_array',
                 'directory', 'wrong_dtype', 'strings', 'wrong_ndim',
                 'too_few_frames')


def damage_array_file(path: str, damage: str, spec: dict) -> str:
    """Write the damaged file; return words its error must contain."""
    save_npy(path, spec['good'])
    if damage == 'empty':
        open(path, 'wb').close()
        return 'empty (0 bytes)'
    if damage == 'random_bytes':
        with open(path, 'wb') as file:
            file.write(random_bytes())
        return '.npy signature'
    if damage == 'truncated':
        cut_in_half(path)
        return 'truncated'
    if damage == 'object_array':
        save_npy(path, np.array([[1, 'a']], dtype=object))
        return 'Python objects'
    if damage == 'directory':
        replace_with_dir(path)
        return spec.get('directory_words', 'is a directory')
    array, words = spec['bad'][damage]
    save_npy(path, array)
    return words


@pytest.mark.parametrize('damage', ARRAY_DAMAGES)
@pytest.mark.parametrize('loader', sorted(ARRAY_LOADERS))
def test_damaged_array_file_fails_at_construction(tmp_path, loader, damage):
    spec = ARRAY_LOADERS[loader]
    path = str(tmp_path / spec['file'])
    words = damage_array_file(path, damage, spec)
    with pytest.raises(ERRORS) as info:
        spec['build'](path)
    if damage == 'too_few_frames' and loader == 'moving_mnist':
        # the fix is to ask for fewer frames, which the message says
        check_message(info.value, path, words, 'use at most 3 frames')
    else:
        check_message(info.value, path, words, spec['fix'])


@pytest.mark.parametrize('loader', sorted(ARRAY_LOADERS))
def test_good_array_file_builds(tmp_path, loader):
    spec = ARRAY_LOADERS[loader]
    path = str(tmp_path / spec['file'])
    save_npy(path, spec['good'])
    dataset = spec['build'](path)
    assert len(dataset) >= 1
    assert dataset[0]['inputs'].shape[0] == 4


TAXIBJ_DAMAGES = {
    'empty': 'empty (0 bytes)',
    'random_bytes': 'not a readable .npz',
    'truncated': 'not a readable .npz',
    'directory': 'is a directory',
    'object_array': 'cannot be read',
    'wrong_dtype': 'float array',
    'wrong_ndim': '(N, T, C, H, W)',
    'too_few_frames': 'observed (X)',
}


@pytest.mark.parametrize('damage', sorted(TAXIBJ_DAMAGES))
def test_damaged_taxibj_file(tmp_path, damage):
    path = str(tmp_path / 'dataset.npz')
    _save_taxibj(path)
    if damage == 'empty':
        open(path, 'wb').close()
    elif damage == 'random_bytes':
        with open(path, 'wb') as file:
            file.write(random_bytes())
    elif damage == 'truncated':
        cut_in_half(path)
    elif damage == 'directory':
        replace_with_dir(path)
    elif damage == 'object_array':
        _save_taxibj(path, x=np.array([1, 'a'], dtype=object))
    elif damage == 'wrong_dtype':
        _save_taxibj(path, dtype=np.uint8)
    elif damage == 'wrong_ndim':
        _save_taxibj(path, x=np.zeros((3, 4, 4, 4), np.float32))
    elif damage == 'too_few_frames':
        _save_taxibj(path, frames=2)
    with pytest.raises(ERRORS) as info:
        TaxiBJ(data_root=str(tmp_path), split='train', val_samples=0,
               serialize_data=False)
    check_message(info.value, path, TAXIBJ_DAMAGES[damage])
    if damage != 'too_few_frames':
        assert 'no converter is needed' in str(info.value)


def test_good_taxibj_file_builds(tmp_path):
    _save_taxibj(str(tmp_path / 'dataset.npz'))
    dataset = TaxiBJ(data_root=str(tmp_path), split='train', val_samples=0,
                     serialize_data=False)
    assert len(dataset) == 3
    assert tuple(dataset[0]['inputs'].shape) == (8, 2, 4, 4)


# --- the MNIST idx3 reader ----------------------------------------------

def _idx3(num=3, rows=4, cols=4, magic=2051) -> bytes:
    header = np.array([magic, num, rows, cols], '>u4').tobytes()
    return header + bytes(num * rows * cols)


MNIST_DAMAGES = {
    'empty': (b'', '16-byte idx3 header'),
    'random_bytes': (random_bytes(), 'magic number'),
    'truncated': (_idx3()[:30], 'truncated'),
    'labels_file': (_idx3(magic=2049), 'labels file'),
    'no_images': (_idx3(num=0), 'announces 0 images'),
}


@pytest.mark.parametrize('damage', sorted(MNIST_DAMAGES) + ['directory'])
def test_damaged_mnist_idx_file(tmp_path, damage):
    path = str(tmp_path / 'train-images-idx3-ubyte')
    if damage == 'directory':
        os.makedirs(path)
        words = 'is a directory'
    else:
        data, words = MNIST_DAMAGES[damage]
        with open(path, 'wb') as file:
            file.write(data)
    with pytest.raises(ERRORS) as info:
        load_mnist_images(path)
    check_message(info.value, path, words, 'MNIST database')


# --- loaders of frame images (read when a sample is read) ---------------

def _frame_folder(root):
    write_frames(osp.join(root, 'seq'), 6, (8, 8))
    return (osp.join(root, 'seq', 'image_0003.png'),
            lambda: FrameFolderSequences(data_root=root, split_mode='all',
                                         input_frames=3, output_frames=3,
                                         serialize_data=False),
            'custom_dataset.md')


def _kth(root):
    make_kth(root, persons=(1, ), num_frames=6, size=(8, 8),
             actions=('walking', ))
    return (osp.join(root, 'walking', 'person01_walking_d1_uncomp',
                     'image_0003.png'),
            lambda: KTH(data_root=root, actions=('walking', ),
                        input_frames=3, output_frames=3, image_size=None,
                        split_persons=dict(train=[1], val=[], test=[]),
                        serialize_data=False),
            'kth.py')


def _weizmann(root):
    make_weizmann(root, persons=('daria', ), num_frames=6, size=(8, 8),
                  actions=('walk', ))
    return (osp.join(root, 'walk', 'daria_walk', 'image_0003.png'),
            lambda: Weizmann(data_root=root, actions=('walk', ),
                             input_frames=3, output_frames=3,
                             image_size=None, split_persons=dict(
                                 train=['daria'], val=[], test=[]),
                             serialize_data=False),
            'weizmann.py')


def _human36m(root):
    make_human36m(root, subjects=(1, ), actions=('Walking', ),
                  num_frames=6, size=(8, 8))
    return (osp.join(root, 'S1_Walking.54138969_000003.jpg'),
            lambda: Human36M(data_root=root, input_frames=3,
                             output_frames=3, image_size=None,
                             split_subjects=dict(train=[1], val=[],
                                                 test=[]),
                             serialize_data=False),
            'human36m.py')


def _radar_images(root):
    write_frames(osp.join(root, 'train', 'event'), 6, (8, 8),
                 pattern='{:03d}.png')
    return (osp.join(root, 'train', 'event', '003.png'),
            lambda: RadarEcho(data_root=root, input_frames=3,
                              output_frames=3, serialize_data=False),
            'radar_echo.py')


def _radar_npy_frames(root):
    for t in range(6):
        save_npy(osp.join(root, 'train', 'event', f'{t:03d}.npy'),
                 np.full((8, 8), t, np.uint8))
    return (osp.join(root, 'train', 'event', '003.npy'),
            lambda: RadarEcho(data_root=root, input_frames=3,
                              output_frames=3, serialize_data=False),
            'radar_echo.py')


IMAGE_LOADERS = {
    'frame_folder': _frame_folder,
    'kth': _kth,
    'weizmann': _weizmann,
    'human36m': _human36m,
    'radar_images': _radar_images,
    'radar_npy_frames': _radar_npy_frames,
}
IMAGE_DAMAGES = ('empty', 'random_bytes', 'truncated', 'wrong_dtype',
                 'mixed_size', 'directory', 'too_few_frames')


def _write_like(path: str, image: np.ndarray) -> None:
    """Write ``image`` at ``path`` in the format of its extension (16-bit
    images as PNG data, which OpenCV recognises by content)."""
    if path.endswith('.npy'):
        save_npy(path, image)
        return
    extension = '.png' if image.dtype != np.uint8 else osp.splitext(path)[1]
    ok, data = cv2.imencode(extension, image)
    assert ok
    with open(path, 'wb') as file:
        file.write(data.tobytes())


def read_all(dataset) -> None:
    for index in range(len(dataset)):
        dataset[index]


@pytest.mark.parametrize('damage', IMAGE_DAMAGES)
@pytest.mark.parametrize('loader', sorted(IMAGE_LOADERS))
def test_damaged_frame_file_fails_naming_it(tmp_path, loader, damage):
    path, build, fix = IMAGE_LOADERS[loader](str(tmp_path / loader))
    colour = loader == 'human36m'
    words = {
        'empty': 'empty (0 bytes)',
        'random_bytes': ('not a readable .npy' if path.endswith('.npy') else
                         'cannot be read as an image'),
        'truncated': ('truncated' if path.endswith('.npy') else
                      'cannot be read as an image'),
        'wrong_dtype': ('uint8' if path.endswith('.npy') else '8-bit'),
        'mixed_size': 'image_size',
        'directory': 'is a directory',
        'too_few_frames': 'long enough',
    }[damage]
    if damage == 'too_few_frames':
        os.remove(path)
        with pytest.raises(ValueError) as info:
            build()
        # the message names the longest sequence by its first frame
        check_message(info.value, osp.dirname(path), words, fix)
        return
    dataset = build()  # frames are read lazily: building still works
    assert len(dataset) == 1
    if damage == 'empty':
        open(path, 'wb').close()
    elif damage == 'random_bytes':
        with open(path, 'wb') as file:
            file.write(random_bytes())
    elif damage == 'truncated':
        cut_in_half(path)
    elif damage == 'wrong_dtype':
        shape = (8, 8, 3) if colour else (8, 8)
        _write_like(path, np.full(shape, 40000, np.uint16))
    elif damage == 'mixed_size':
        shape = (9, 8, 3) if colour else (9, 8)
        _write_like(path, np.zeros(shape, np.uint8))
    elif damage == 'directory':
        # the file was replaced after the dataset was built
        replace_with_dir(path)
    with pytest.raises(ERRORS) as info:
        read_all(dataset)
    if damage == 'mixed_size':
        check_message(info.value, path, words)
    else:
        check_message(info.value, path, words, fix)


@pytest.mark.parametrize('loader', sorted(IMAGE_LOADERS))
def test_good_frame_files_read(tmp_path, loader):
    _, build, _ = IMAGE_LOADERS[loader](str(tmp_path / loader))
    dataset = build()
    sample = dataset[0]
    assert tuple(sample['inputs'].shape[-2:]) == (8, 8)
    assert sample['inputs'].shape[0] == 6


@pytest.mark.parametrize('loader', sorted(ARRAY_LOADERS) +
                         sorted(IMAGE_LOADERS))
def test_file_without_read_permission(tmp_path, monkeypatch, loader):
    if loader in ARRAY_LOADERS:
        spec = ARRAY_LOADERS[loader]
        path = str(tmp_path / spec['file'])
        save_npy(path, spec['good'])
        build, fix = (lambda: spec['build'](path)), spec['fix']
    else:
        path, make, fix = IMAGE_LOADERS[loader](str(tmp_path / loader))
        dataset = make()
        build = (lambda: read_all(dataset))
    if RUNS_AS_ROOT:
        # root reads any file, whatever its mode: deny the read instead
        access = os.access
        monkeypatch.setattr(
            os, 'access', lambda name, mode, **kwargs: False
            if str(name) == path and mode & os.R_OK else access(
                name, mode, **kwargs))
    os.chmod(path, 0)
    try:
        with pytest.raises(ERRORS) as info:
            build()
    finally:
        os.chmod(path, 0o644)
    check_message(info.value, path, 'no read permission', fix)
