import gzip

import numpy as np
import pytest

from stpredict.datasets.digit_source import (BuiltinDigits, MNISTDigits,
                                             find_mnist_file,
                                             load_mnist_images,
                                             split_index_range)


@pytest.mark.parametrize('compress', [True, False])
def test_load_mnist_images_reads_idx3(tmp_path, fake_mnist_images,
                                      write_idx3_file, compress):
    name = 'train-images-idx3-ubyte' + ('.gz' if compress else '')
    path = write_idx3_file(tmp_path / name, fake_mnist_images, compress)
    images = load_mnist_images(path)
    assert images.dtype == np.uint8
    assert images.shape == (50, 28, 28)
    np.testing.assert_array_equal(images, fake_mnist_images)
    assert images.flags.writeable


def test_find_mnist_file_accepts_directory_and_missing_gz_suffix(
        tmp_path, fake_mnist_images, write_idx3_file):
    path = write_idx3_file(tmp_path / 't10k-images-idx3-ubyte',
                           fake_mnist_images)
    assert find_mnist_file(str(tmp_path)) == path
    assert find_mnist_file(path + '.gz') == path
    gz = write_idx3_file(tmp_path / 'train-images-idx3-ubyte.gz',
                         fake_mnist_images, compress=True)
    # the training images come first in the search order
    assert find_mnist_file(str(tmp_path)) == gz
    assert len(MNISTDigits.from_file(str(tmp_path))) == 50


def test_missing_mnist_file_message(tmp_path):
    missing = str(tmp_path / 'nowhere' / 'train-images-idx3-ubyte.gz')
    with pytest.raises(FileNotFoundError) as info:
        MNISTDigits.from_file(missing)
    message = str(info.value)
    assert missing in message
    assert '<dir>/train-images-idx3-ubyte.gz' in message
    assert '60000x28x28' in message and 'idx3' in message
    assert 'MNIST database' in message
    assert 'mnist_file=None' in message and 'built-in digits' in message

    with pytest.raises(FileNotFoundError, match='No MNIST image file'):
        find_mnist_file(str(tmp_path))


def test_malformed_mnist_files(tmp_path, fake_mnist_images, write_idx3_file):
    labels = write_idx3_file(tmp_path / 'labels', fake_mnist_images,
                             magic=2049)
    with pytest.raises(ValueError, match='2051') as info:
        load_mnist_images(labels)
    assert labels in str(info.value) and 'labels file' in str(info.value)

    for compress in (False, True):
        cut = write_idx3_file(tmp_path / f'cut{compress}', fake_mnist_images,
                              compress, cut_bytes=100)
        with pytest.raises(ValueError, match='truncated') as info:
            load_mnist_images(cut)
        assert cut in str(info.value)

    header_only = tmp_path / 'short'
    header_only.write_bytes(b'\x00\x00\x08\x03')
    with pytest.raises(ValueError, match='16-byte idx3 header'):
        load_mnist_images(str(header_only))

    broken_gz = tmp_path / 'broken.gz'
    broken_gz.write_bytes(
        gzip.compress(fake_mnist_images.tobytes())[:200])
    with pytest.raises(ValueError, match='gzip') as info:
        load_mnist_images(str(broken_gz))
    assert str(broken_gz) in str(info.value)


def test_split_index_ranges_are_disjoint_and_cover_the_source():
    assert split_index_range(60000, 'train') == (0, 54000)
    assert split_index_range(60000, 'val') == (54000, 57000)
    assert split_index_range(60000, 'test') == (57000, 60000)
    for num in (3, 10, 50, 10000):
        ranges = [split_index_range(num, s) for s in ('train', 'val', 'test')]
        assert ranges[0][0] == 0 and ranges[-1][1] == num
        for (_, stop), (start, _) in zip(ranges[:-1], ranges[1:]):
            assert stop == start
        assert all(stop > start for start, stop in ranges)
    with pytest.raises(ValueError, match='at least 3'):
        split_index_range(2, 'train')
    with pytest.raises(ValueError, match='split'):
        split_index_range(100, 'dev')


def test_builtin_digits_look_like_mnist_digits():
    digits = BuiltinDigits()
    assert len(digits) == 60000
    glyphs = np.stack([digits[i] for i in range(200)])
    assert glyphs.dtype == np.uint8 and glyphs.shape == (200, 28, 28)
    assert (glyphs.max(axis=(1, 2)) == 255).all()
    rows, cols = np.mgrid[:28, :28]
    for glyph in glyphs:
        ink_rows = np.flatnonzero(glyph.max(axis=1) > 0)
        ink_cols = np.flatnonzero(glyph.max(axis=0) > 0)
        box = max(ink_rows[-1] - ink_rows[0], ink_cols[-1] - ink_cols[0]) + 1
        assert 15 <= box <= 23  # ~20x20 box (+ blur)
        mass = glyph.astype(np.float64)
        centre = ((mass * rows).sum() / mass.sum(),
                  (mass * cols).sum() / mass.sum())
        assert np.allclose(centre, 13.5, atol=2.0)
        # a black border like MNIST
        assert glyph[0].max() == 0 or glyph[-1].max() == 0
    # the ink covers a plausible part of the field (MNIST: about 19 %)
    assert 0.1 < (glyphs > 0).mean() < 0.5


def test_builtin_digits_are_deterministic_and_varied():
    first, second = BuiltinDigits(), BuiltinDigits()
    for index in (0, 17, 59999, -1):
        np.testing.assert_array_equal(first[index], second[index])
    assert first.label(17) == 7 and first.label(-1) == 9
    assert not np.array_equal(first[0], first[10])  # same class, new style
    assert not np.array_equal(first[3], BuiltinDigits(seed=1)[3])
    with pytest.raises(IndexError):
        first[60000]


def test_builtin_digits_classes_are_recognisable():
    """A nearest-class-mean classifier tells the glyph classes apart."""
    digits = BuiltinDigits()
    train = np.stack([digits[i] for i in range(600)]).reshape(600, -1) / 255
    test_ids = np.arange(50000, 50200)
    test = np.stack([digits[i] for i in test_ids]).reshape(200, -1) / 255
    labels = np.arange(600) % 10
    means = np.stack([train[labels == k].mean(0) for k in range(10)])
    distances = ((test[:, None] - means[None]) ** 2).sum(-1)
    accuracy = (distances.argmin(1) == test_ids % 10).mean()
    assert accuracy > 0.75
