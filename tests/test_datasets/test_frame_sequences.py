import pickle

import numpy as np
import pytest

from stpredict.datasets.frame_files import FrameFiles
from stpredict.datasets.frame_sequences import carve_split, window_starts
from stpredict.fileio import (natural_sort_key, open_array, parse_image_size,
                              resize_frame)


def test_window_starts_property():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, total, stride, interval = (int(v) for v in rng.integers(
            1, (40, 8, 6, 4)))
        starts = list(window_starts(n, total, stride, interval))
        span = (total - 1) * interval + 1
        expected = (n - span) // stride + 1 if n >= span else 0
        assert len(starts) == expected
        assert starts == [k * stride for k in range(expected)]
        # every window fits; one more would not
        assert all(s + (total - 1) * interval < n for s in starts)
        if starts:
            assert starts[-1] + stride + span > n


def test_natural_order_and_compact_frame_files():
    names = ['img10.png', 'img2.png', 'img1.png']
    assert sorted(names, key=natural_sort_key) == [
        'img1.png', 'img2.png', 'img10.png'
    ]
    padded = [f'image_{i:04d}.png' for i in range(1, 1001)]
    files = FrameFiles('/data/v', padded)
    assert files._numbers is not None and files._names is None
    assert len(files) == 1000 and files.name(9) == 'image_0010.png'
    assert files.path(0) == '/data/v/image_0001.png'
    assert len(pickle.dumps(files)) < 10000
    part = files.slice(10, 20)
    assert len(part) == 10 and part.name(0) == 'image_0011.png'
    # mixed padding or patterns keep the names
    for mixed in (['a1.png', 'a02.png'], ['x.png', 'y.png'],
                  ['f1.png', 'g2.png']):
        files = FrameFiles('d', mixed)
        assert files._names == mixed
        assert [files.name(i) for i in range(2)] == mixed
    unpadded = FrameFiles('d', ['1.png', '2.png', '10.png'])
    assert unpadded._numbers is not None
    assert unpadded.name(2) == '10.png'


def test_carve_split_is_disjoint_and_complete():
    for num in (3, 7, 50):
        for shuffle in (True, False):
            parts = carve_split(num, 0.2, 0.1, shuffle, seed=3)
            union = parts['train'] + parts['val'] + parts['test']
            assert sorted(union) == list(range(num))
            assert len(parts['val']) >= 1 and len(parts['test']) >= 1
            if not shuffle:
                assert max(parts['train']) < min(parts['val'])
                assert max(parts['val']) < min(parts['test'])
    assert carve_split(5, 0, 0)['train'] == list(range(5))
    with pytest.raises(ValueError, match='keep any'):
        carve_split(2, 0.5, 0.5)


def test_open_array_maps_npy_and_stored_npz(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4)
    np.save(tmp_path / 'a.npy', array)
    np.savez(tmp_path / 'b.npz', x=array, y=array.T.copy(),
             f=np.asfortranarray(array))
    np.savez_compressed(tmp_path / 'c.npz', x=array)
    loaded = open_array(str(tmp_path / 'a.npy'))
    assert isinstance(loaded, np.memmap)
    for key, expected in (('x', array), ('y', array.T), ('f', array)):
        mapped = open_array(str(tmp_path / 'b.npz'), key)
        assert isinstance(mapped, np.memmap)
        np.testing.assert_array_equal(mapped, expected)
    compressed = open_array(str(tmp_path / 'c.npz'))
    np.testing.assert_array_equal(compressed, array)
    with pytest.raises(ValueError,
                       match=r"has no array \"z\"; it holds \['x'\]"):
        open_array(str(tmp_path / 'c.npz'), 'z')


def test_resize_and_image_size():
    assert parse_image_size(None) is None
    assert parse_image_size(8) == (8, 8)
    assert parse_image_size((4, 6)) == (4, 6)
    with pytest.raises(ValueError, match='image_size'):
        parse_image_size('big')
    frame = np.full((12, 16, 5), 0.5, np.float32)
    out = resize_frame(frame, (6, 8))
    assert out.shape == (6, 8, 5) and out.dtype == np.float32
    gray = np.full((12, 16, 1), 9, np.uint8)
    assert resize_frame(gray, (24, 32)).shape == (24, 32, 1)
