"""Sources of 28x28 digit images for the synthetic flying-digits sequences.

Two sources share one small interface (``len(source)``, ``source[i]`` gives
one ``(H, W)`` uint8 image with black background and white ink, and
``source.label(i)`` gives the digit class or ``None`` when unknown):

- :class:`MNISTDigits`: images of the MNIST database read from an idx3 file
  (``train-images-idx3-ubyte.gz``), see :func:`load_mnist_images`.
- :class:`BuiltinDigits`: handwriting-like glyphs rendered with OpenCV's
  Hershey fonts, so that flying digits work without any download.

:func:`split_index_range` gives each split (train/val/test) a disjoint range of
image indices of a source, so that no digit image is shared between splits.
"""
import gzip
import math
import os.path as osp
import zlib
from typing import Optional, Tuple

import cv2
import numpy as np

__all__ = [
    'BuiltinDigits', 'MNISTDigits', 'load_mnist_images', 'find_mnist_file',
    'split_index_range'
]

#: Magic number of an idx3 file of unsigned bytes (images).
IDX3_UBYTE_MAGIC = 2051
#: Magic number of an idx1 file of unsigned bytes (labels).
IDX1_UBYTE_MAGIC = 2049
#: File names looked for, in this order, when ``mnist_file`` is a directory.
MNIST_FILE_NAMES = ('train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte',
                    't10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte')
#: Fraction of a source's images reserved for the val split and for the test
#: split (each); the train split gets the rest.
HELD_OUT_FRACTION = 0.05
SPLITS = ('train', 'val', 'test')

MNIST_HELP = (
    'Expected layout: <dir>/train-images-idx3-ubyte.gz (or the uncompressed '
    'train-images-idx3-ubyte, or t10k-images-idx3-ubyte[.gz]): the training '
    'images of the MNIST database, 60000x28x28 unsigned bytes in the idx3 '
    'format (magic number 2051). Download "train-images-idx3-ubyte.gz" from '
    'the MNIST database (http://yann.lecun.com/exdb/mnist/ or one of its '
    'mirrors) and pass its path (or its directory) as mnist_file. Leave '
    'mnist_file=None to use the built-in digits, which need no download.')


def split_index_range(num_images: int, split: str) -> Tuple[int, int]:
    """The range of image indices ``[start, stop)`` a split may draw from.

    The last ``2 * HELD_OUT_FRACTION`` (10 %) of the images are held out:
    their first half is the val range and their second half the test range;
    the train range is everything before. Each held-out range has at least one
    image. For the 60,000 MNIST training images this gives train
    ``[0, 54000)``, val ``[54000, 57000)`` and test ``[57000, 60000)``.

    Args:
        num_images (int): Number of images of the source (at least 3).
        split (str): ``'train'``, ``'val'`` or ``'test'``.

    Returns:
        Tuple[int, int]: ``(start, stop)`` of the split's image indices.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, but got {split!r}')
    if num_images < 3:
        raise ValueError(
            'A digit source needs at least 3 images so that the train, val '
            f'and test splits each get their own, but it has {num_images}.')
    held_out = max(1, int(round(num_images * HELD_OUT_FRACTION)))
    val_start = num_images - 2 * held_out
    test_start = num_images - held_out
    return {
        'train': (0, val_start),
        'val': (val_start, test_start),
        'test': (test_start, num_images)
    }[split]


def find_mnist_file(path: str) -> str:
    """Resolve ``path`` (an idx3 file or the directory holding it).

    A directory is searched for the names in :data:`MNIST_FILE_NAMES`, in
    order. A file path that does not exist is also tried with ``.gz`` added
    or removed.

    Args:
        path (str): Path of the idx3 image file or of its directory.

    Returns:
        str: Path of an existing file.

    Raises:
        FileNotFoundError: When no such file exists; the message gives the
            expected layout, where the file comes from and the alternative of
            the built-in digits.
    """
    path = osp.expanduser(str(path))
    if osp.isdir(path):
        for name in MNIST_FILE_NAMES:
            candidate = osp.join(path, name)
            if osp.isfile(candidate):
                return candidate
        raise FileNotFoundError(
            f'No MNIST image file in the directory "{path}" (looked for '
            f'{", ".join(MNIST_FILE_NAMES)}). {MNIST_HELP}')
    if osp.isfile(path):
        return path
    alternative = path[:-3] if path.endswith('.gz') else path + '.gz'
    if osp.isfile(alternative):
        return alternative
    raise FileNotFoundError(
        f'MNIST image file "{path}" not found. {MNIST_HELP}')


def load_mnist_images(path: str) -> np.ndarray:
    """Read the images of an MNIST idx3 file, gzip-compressed or not.

    The idx3 format is a 16-byte big-endian header (magic number 2051, the
    number of images N, rows, columns) followed by ``N * rows * columns``
    unsigned bytes. Compression is recognised from the gzip signature, not
    from the file name.

    Args:
        path (str): Path of the file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns:
        np.ndarray: ``[N, rows, cols]`` uint8 (``[60000, 28, 28]`` for the
        MNIST training images).

    Raises:
        FileNotFoundError: When the file does not exist.
        OSError: When the path is a directory or cannot be read.
        ValueError: When the file is not a complete idx3 image file (wrong
            magic number, truncated, corrupt gzip stream).
    """
    if osp.isdir(path):
        raise IsADirectoryError(
            f'MNIST image file "{path}" is a directory; pass the idx3 file, '
            'or use find_mnist_file / MNISTDigits.from_file, which search a '
            f'directory. {MNIST_HELP}')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'MNIST image file "{path}" not found. {MNIST_HELP}')
    try:
        with open(path, 'rb') as file:
            raw = file.read()
    except OSError as error:
        raise OSError(
            error.errno, f'MNIST image file "{path}" cannot be read '
            f'({error.strerror}; check its permissions). {MNIST_HELP}',
            path) from error
    if raw[:2] == b'\x1f\x8b':
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(
                f'MNIST image file "{path}" is not a valid gzip file '
                f'({error}); download it again. {MNIST_HELP}') from error
    if len(raw) < 16:
        raise ValueError(
            f'MNIST image file "{path}" is truncated: {len(raw)} bytes, less '
            f'than the 16-byte idx3 header. {MNIST_HELP}')
    magic, num, rows, cols = (int(v) for v in np.frombuffer(
        raw, dtype='>u4', count=4))
    if magic != IDX3_UBYTE_MAGIC:
        hint = (' (2049 is a labels file; pass the images file)'
                if magic == IDX1_UBYTE_MAGIC else '')
        raise ValueError(
            f'MNIST image file "{path}" has the magic number {magic}, not '
            f'{IDX3_UBYTE_MAGIC} of idx3 unsigned-byte images{hint}. '
            f'{MNIST_HELP}')
    expected = 16 + num * rows * cols
    if len(raw) != expected or num == 0 or rows == 0 or cols == 0:
        raise ValueError(
            f'MNIST image file "{path}" is truncated or corrupt: its header '
            f'announces {num} images of {rows}x{cols} ({expected} bytes with '
            f'the header) but it holds {len(raw)} bytes. {MNIST_HELP}')
    images = np.frombuffer(raw, dtype=np.uint8, offset=16)
    return images.reshape(num, rows, cols).copy()


class MNISTDigits:
    """Digit images of the MNIST database.

    Args:
        images (np.ndarray): ``[N, H, W]`` uint8 images, white ink on black.
        labels (np.ndarray, optional): ``[N]`` digit classes, if known.
            Defaults to None.
    """

    def __init__(self,
                 images: np.ndarray,
                 labels: Optional[np.ndarray] = None) -> None:
        if (not isinstance(images, np.ndarray) or images.ndim != 3
                or images.dtype != np.uint8):
            raise ValueError(
                'MNISTDigits needs an [N, H, W] uint8 array, but got '
                f'{getattr(images, "shape", None)} '
                f'{getattr(images, "dtype", type(images))}.')
        if labels is not None and len(labels) != len(images):
            raise ValueError(f'{len(labels)} labels for {len(images)} images.')
        self.images = images
        self.labels = labels

    @classmethod
    def from_file(cls, path: str) -> 'MNISTDigits':
        """Read the images of an idx3 file (see :func:`find_mnist_file`).

        Args:
            path (str): The idx3 image file or its directory.

        Returns:
            MNISTDigits: The source of the file's images (without labels).
        """
        return cls(load_mnist_images(find_mnist_file(path)))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> np.ndarray:
        return self.images[index]

    def label(self, index: int) -> Optional[int]:
        """The digit class of image ``index``, or None when unknown."""
        return None if self.labels is None else int(self.labels[index])


class BuiltinDigits:
    """Handwriting-like digit glyphs rendered with OpenCV, no download needed.

    Glyph ``i`` shows the digit ``i % 10``. Its style is drawn from a random
    generator seeded with ``(seed, i)``: one of the Hershey fonts (upright,
    italic or script; zeros are drawn as ovals because the Hershey zero is
    slashed), the stroke thickness, a rotation, a shear and an aspect ratio.
    The glyph is then normalised like MNIST: the ink is scaled to fit a box of
    about 20x20 pixels (17 to 20), anti-aliased, and placed with its centre of
    mass at the centre of the 28x28 field (within about a pixel). Glyphs are
    rendered on request (about 0.3 ms each), so the bank costs no memory and
    no start-up time, and the same index gives the same glyph in every
    process.

    Args:
        num_glyphs (int): Number of glyphs of the bank. Defaults to 60000,
            the size of the MNIST training set.
        seed (int): Seed of the glyph styles. Defaults to 0.
        size (int): Side of the square output field. Defaults to 28.
    """

    #: Fonts the glyphs are drawn from (each may also be drawn in italics).
    FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
             cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
             cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
    #: Side of the working canvas the glyph is drawn and deformed on.
    CANVAS = 112
    #: Font scale on the working canvas (glyphs about 50 pixels high).
    FONT_SCALE = 2.0

    def __init__(self,
                 num_glyphs: int = 60000,
                 seed: int = 0,
                 size: int = 28) -> None:
        if num_glyphs < 10:
            raise ValueError(
                f'num_glyphs must be at least 10 (one per digit class), but '
                f'got {num_glyphs}.')
        if seed < 0:
            raise ValueError(f'seed must be >= 0, but got {seed}.')
        if size < 8:
            raise ValueError(f'size must be at least 8, but got {size}.')
        self.num_glyphs = int(num_glyphs)
        self.seed = int(seed)
        self.size = int(size)

    def __len__(self) -> int:
        return self.num_glyphs

    def label(self, index: int) -> int:
        """The digit class (0-9) of glyph ``index``."""
        return int(self._check_index(index)) % 10

    def __getitem__(self, index: int) -> np.ndarray:
        index = self._check_index(index)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, index]))
        return self.render(index % 10, rng)

    def _check_index(self, index: int) -> int:
        index = int(index)
        if index < 0:
            index += self.num_glyphs
        if not 0 <= index < self.num_glyphs:
            raise IndexError(f'glyph index {index} out of range for a bank '
                             f'of {self.num_glyphs} glyphs.')
        return index

    def render(self, label: int, rng: np.random.Generator) -> np.ndarray:
        """Render one glyph of the digit ``label`` in a style drawn by ``rng``.

        Args:
            label (int): The digit, 0 to 9.
            rng (np.random.Generator): Draws the style.

        Returns:
            np.ndarray: ``(size, size)`` uint8 image, ink 255 at its maximum.
        """
        canvas_size = self.CANVAS
        font = int(self.FONTS[rng.integers(len(self.FONTS))])
        if rng.random() < 0.3:
            font |= cv2.FONT_ITALIC
        thickness = int(rng.integers(3, 9))
        canvas = np.zeros((canvas_size, canvas_size), np.uint8)
        if int(label) == 0:
            # the Hershey zero is slashed; a handwritten zero is an oval,
            # sometimes left open at the top where the pen started
            half_width = int(rng.integers(12, 19))
            half_height = int(round(half_width * rng.uniform(1.2, 1.7)))
            gap = rng.uniform(0.0, 35.0) if rng.random() < 0.4 else 0.0
            start = -90.0 + gap / 2
            cv2.ellipse(canvas, (canvas_size // 2, canvas_size // 2),
                        (half_width, half_height), 0.0, start,
                        start + 360.0 - gap, 255, thickness, cv2.LINE_AA)
        else:
            text = str(int(label))
            (width, height), _ = cv2.getTextSize(text, font,
                                                 self.FONT_SCALE, thickness)
            origin = ((canvas_size - width) // 2, (canvas_size + height) // 2)
            cv2.putText(canvas, text, origin, font, self.FONT_SCALE, 255,
                        thickness, cv2.LINE_AA)

        # rotation, shear and aspect ratio about the canvas centre
        angle = math.radians(rng.uniform(-15.0, 15.0))
        shear = rng.uniform(-0.3, 0.3)
        aspect = rng.uniform(0.8, 1.1)
        cos, sin = math.cos(angle), math.sin(angle)
        linear = np.array([[cos, -sin], [sin, cos]]) @ np.array(
            [[1.0, shear], [0.0, 1.0]]) @ np.diag([aspect, 1.0])
        centre = np.full(2, (canvas_size - 1) / 2)
        affine = np.hstack([linear, (centre - linear @ centre)[:, None]])
        canvas = cv2.warpAffine(canvas, affine, (canvas_size, canvas_size),
                                flags=cv2.INTER_LINEAR)

        # MNIST normalisation: fit the ink into a ~20x20 box ...
        rows = np.flatnonzero(canvas.max(axis=1) > 20)
        cols = np.flatnonzero(canvas.max(axis=0) > 20)
        ink = canvas[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        box = rng.uniform(17.0, 20.0) * self.size / 28
        scale = box / max(ink.shape)
        new_w = max(1, int(round(ink.shape[1] * scale)))
        new_h = max(1, int(round(ink.shape[0] * scale)))
        ink = cv2.resize(ink, (new_w, new_h), interpolation=cv2.INTER_AREA)

        # ... and put its centre of mass at the field's centre (+-1 pixel)
        mass = ink.astype(np.float64)
        total = mass.sum()
        com_row = (mass.sum(axis=1) @ np.arange(new_h)) / total
        com_col = (mass.sum(axis=0) @ np.arange(new_w)) / total
        target = self.size / 2 - 0.5 + rng.uniform(-1.0, 1.0, size=2)
        top = int(np.clip(round(target[0] - com_row), 0, self.size - new_h))
        left = int(np.clip(round(target[1] - com_col), 0, self.size - new_w))
        glyph = np.zeros((self.size, self.size), np.float32)
        glyph[top:top + new_h, left:left + new_w] = ink
        glyph = cv2.GaussianBlur(glyph, (3, 3), rng.uniform(0.3, 0.7))
        glyph *= 255.0 / glyph.max()
        return np.rint(glyph).astype(np.uint8)
