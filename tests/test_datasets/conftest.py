"""Fixtures shared by the dataset tests: tiny fake data files."""
import gzip
import struct

import numpy as np
import pytest


def make_digit_images(num: int, size: int = 28, seed: int = 0) -> np.ndarray:
    """Distinct fake digit images: a bright block at a random place, noise."""
    rng = np.random.default_rng(seed)
    images = np.zeros((num, size, size), np.uint8)
    for i in range(num):
        top, left = rng.integers(2, size - 12, size=2)
        images[i, top:top + 10, left:left + 10] = 200 + i % 56
        images[i, size // 2, size // 2] = 255
    return images


def write_idx3(path, images: np.ndarray, compress: bool = False,
               magic: int = 2051, cut_bytes: int = 0) -> str:
    """Write ``images`` in the idx3 format (optionally gzip, wrong, cut)."""
    num, rows, cols = images.shape
    raw = struct.pack('>IIII', magic, num, rows, cols) + images.tobytes()
    if cut_bytes:
        raw = raw[:-cut_bytes]
    if compress:
        raw = gzip.compress(raw)
    with open(path, 'wb') as file:
        file.write(raw)
    return str(path)


@pytest.fixture
def fake_mnist_images() -> np.ndarray:
    """50 fake 28x28 uint8 digit images."""
    return make_digit_images(50)


@pytest.fixture
def fake_mnist_gz(tmp_path, fake_mnist_images) -> str:
    """A gzip idx3 file ``train-images-idx3-ubyte.gz`` of 50 images."""
    return write_idx3(tmp_path / 'train-images-idx3-ubyte.gz',
                      fake_mnist_images, compress=True)


@pytest.fixture
def write_idx3_file():
    """The idx3 writer, for tests that need broken files."""
    return write_idx3
