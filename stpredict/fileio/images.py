"""Reading frame images and listing frame files, and frame sizes.

Frames are uint8 ``[H, W, C]`` arrays (``C = 1`` gray, ``3`` RGB). Every
reader fails with a message that names the file, what is wrong and how to
fix it.
"""
import os
import re
from typing import Any, Iterable, List, Optional, Tuple, Union

import cv2
import numpy as np

from .arrays import check_data_file, load_npy

#: File name extensions read as frame images (lower case).
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')

_DIGITS = re.compile(r'(\d+)')


def natural_sort_key(text: str) -> List[Union[int, str]]:
    """Key that sorts ``'img2' < 'img10'`` (runs of digits as numbers)."""
    return [
        int(part) if part.isdigit() else part.lower()
        for part in _DIGITS.split(text)
    ]


def check_positive_int(value: Any, name: str) -> int:
    """Validate an int >= 1 (a stride, an interval, a size)."""
    if isinstance(value, bool) or not isinstance(
            value, (int, np.integer)) or value < 1:
        raise ValueError(f'{name} must be an int >= 1, but got {value!r}.')
    return int(value)


def parse_image_size(image_size: Any) -> Optional[Tuple[int, int]]:
    """``image_size`` as ``(height, width)``, or None (keep the size).

    Args:
        image_size (int | Sequence[int] | None): A side (square frames),
            ``(height, width)`` or None.

    Returns:
        tuple[int, int] | None: ``(height, width)`` or None.
    """
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)) and not isinstance(
            image_size, bool):
        side = check_positive_int(image_size, 'image_size')
        return side, side
    if isinstance(image_size, (tuple, list)) and len(image_size) == 2:
        return (check_positive_int(image_size[0], 'image_size[0]'),
                check_positive_int(image_size[1], 'image_size[1]'))
    raise ValueError(
        'image_size must be None (keep the frame size), an int (square '
        f'frames) or (height, width), but got {image_size!r}.')


def list_files(directory: str,
               extensions: Iterable[str] = IMAGE_EXTENSIONS) -> List[str]:
    """Names of the files in ``directory`` with one of ``extensions``,
    sorted naturally (``2.png`` before ``10.png``)."""
    extensions = tuple(ext.lower() for ext in extensions)
    names = [
        entry.name for entry in os.scandir(directory)
        if entry.is_file() and entry.name.lower().endswith(extensions)
        and not entry.name.startswith('.')
    ]
    return sorted(names, key=natural_sort_key)


def list_subdirs(directory: str) -> List[str]:
    """Names of the subdirectories of ``directory``, sorted naturally
    (hidden ones left out)."""
    names = [
        entry.name for entry in os.scandir(directory)
        if entry.is_dir() and not entry.name.startswith('.')
    ]
    return sorted(names, key=natural_sort_key)


def read_image(path: str, color: str, help_text: str = '') -> np.ndarray:
    """Read one frame image as uint8 ``[H, W, C]``.

    Args:
        path (str): The image file.
        color (str): ``'gray'`` (``C = 1``) or ``'rgb'`` (``C = 3``, RGB
            order).
        help_text (str): Appended to the error message (the layout and the
            converter to run).

    Returns:
        np.ndarray: The frame.

    Raises:
        OSError: When the file is missing, a directory or not readable.
        ValueError: When the file is empty, not a decodable image, or not
            8-bit (16-bit and float images are refused, not rescaled).
    """
    check_data_file(path, 'Frame file', help_text)
    flag = cv2.IMREAD_GRAYSCALE if color == 'gray' else cv2.IMREAD_COLOR
    image = cv2.imread(path, flag | cv2.IMREAD_ANYDEPTH)
    if image is None:
        raise ValueError(
            f'Frame file "{path}" cannot be read as an image (corrupt, cut, '
            f'or not an image). {help_text}'.strip())
    if image.dtype != np.uint8:
        raise ValueError(
            f'Frame file "{path}" has {image.dtype} pixels, but 8-bit images '
            'are expected: convert the frames to 8 bits (e.g. ffmpeg '
            '-pix_fmt gray or rgb24; for radar data, '
            'tools/dataset_converters/radar_echo.py --value-range LOW HIGH). '
            f'{help_text}'.strip())
    if color == 'gray':
        return image[..., None]
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def read_npy_frame(path: str, help_text: str = '') -> np.ndarray:
    """Read one frame stored as a uint8 ``.npy`` array ``[H, W]`` or
    ``[H, W, 1]``; returns ``[H, W, 1]``."""
    frame = load_npy(path, 'Frame file', help_text)
    if frame.ndim == 3 and frame.shape[-1] == 1:
        frame = frame[..., 0]
    if frame.ndim != 2 or frame.dtype != np.uint8:
        raise ValueError(
            f'Frame file "{path}" holds a {frame.dtype} array of shape '
            f'{frame.shape}, but one uint8 frame [H, W] (pixel values '
            f'0-255) is expected. {help_text}'.strip())
    return np.array(frame)[..., None]


def resize_frame(frame: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize ``[H, W, C]`` to ``size = (height, width)``, keeping ``C``.

    Area interpolation when shrinking, bilinear when enlarging; the dtype is
    kept (uint8 or float32).
    """
    height, width = size
    if frame.shape[:2] == (height, width):
        return frame
    shrink = height <= frame.shape[0] and width <= frame.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    channels = frame.shape[2]
    if channels <= 4:
        out = cv2.resize(frame, (width, height), interpolation=method)
        return out.reshape(height, width, channels)
    return np.stack([
        cv2.resize(np.ascontiguousarray(frame[..., c]), (width, height),
                   interpolation=method) for c in range(channels)
    ], axis=-1)
