"""Reading a sequence of frames from a folder of images or a video file.

Both readers return uint8 ``[T, H, W, C]`` frames, gray (``C = 1``) or RGB
(``C = 3``), and can stop after the first ``num_frames`` frames or keep the
last ``num_frames`` ones.
"""
import collections
import os.path as osp
from typing import Optional

import cv2
import numpy as np

from .images import IMAGE_EXTENSIONS, list_files, read_image

#: Which frames a reader keeps when it is asked for fewer than it finds.
TAKE_CHOICES = ('first', 'last')


def check_take(take: str) -> str:
    """Validate a ``take`` argument (``'first'`` or ``'last'``)."""
    if take not in TAKE_CHOICES:
        raise ValueError(f"take must be 'first' or 'last', got {take!r}.")
    return take


def _count_problem(found: str, num_frames: int, needed_for: str) -> str:
    reason = f' ({needed_for})' if needed_for else ''
    return f'{found}, but {num_frames} are needed{reason}'


def read_image_folder(folder: str,
                      color: str = 'gray',
                      num_frames: Optional[int] = None,
                      take: str = 'first',
                      needed_for: str = '') -> np.ndarray:
    """Read the images of ``folder`` as one sequence, in natural name order
    (``2.png`` before ``10.png``).

    Args:
        folder (str): The folder.
        color (str): ``'gray'`` or ``'rgb'``. Defaults to ``'gray'``.
        num_frames (int, optional): Read only this many images (fewer is an
            error). Defaults to None (all of them).
        take (str): ``'first'`` or ``'last'`` images. Defaults to
            ``'first'``.
        needed_for (str): Why ``num_frames`` frames are needed, for the
            error message (e.g. ``'the model observes T_in=10 frames'``).

    Returns:
        np.ndarray: uint8 ``[T, H, W, C]``.
    """
    check_take(take)
    names = list_files(folder, IMAGE_EXTENSIONS)
    if not names:
        raise ValueError(
            f'Folder "{folder}" holds no frame images '
            f'({", ".join(IMAGE_EXTENSIONS)}). Put the frames there, '
            'named in time order (e.g. 00.png, 01.png, ...).')
    if num_frames is not None:
        if len(names) < num_frames:
            raise ValueError(
                'Folder "{}" {}. Add frames to the folder.'.format(
                    folder,
                    _count_problem(f'holds {len(names)} frame images',
                                   num_frames, needed_for)))
        names = names[:num_frames] if take == 'first' else names[-num_frames:]
    frames = [read_image(osp.join(folder, name), color) for name in names]
    shapes = {frame.shape for frame in frames}
    if len(shapes) > 1:
        raise ValueError(
            f'The images in "{folder}" have different sizes {sorted(shapes)};'
            ' every frame of a sequence must have the same size.')
    return np.stack(frames)


def read_video(path: str,
               color: str = 'gray',
               num_frames: Optional[int] = None,
               take: str = 'first',
               needed_for: str = '') -> np.ndarray:
    """Read the frames of a video file with OpenCV.

    Args:
        path (str): The video (any format OpenCV reads, e.g. ``.avi``,
            ``.mp4``).
        color (str): ``'gray'`` or ``'rgb'``. Defaults to ``'gray'``.
        num_frames (int, optional): Read only this many frames (fewer is an
            error). Defaults to None (all of them).
        take (str): ``'first'`` or ``'last'`` frames. Defaults to
            ``'first'``.
        needed_for (str): Why ``num_frames`` frames are needed, for the
            error message.

    Returns:
        np.ndarray: uint8 ``[T, H, W, C]``.
    """
    check_take(take)
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise ValueError(
                f'Input "{path}" cannot be opened as a video by OpenCV (or '
                'is no video). Give a .npy array, a folder of frame images or '
                'a video that OpenCV reads (e.g. .avi, .mp4).')
        keep = collections.deque(
            maxlen=num_frames if take == 'last' else None)
        count = 0
        while num_frames is None or take == 'last' or count < num_frames:
            ok, frame = capture.read()
            if not ok:
                break
            count += 1
            if color == 'gray':
                frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[..., None]
            else:
                frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            keep.append(frame)
    finally:
        capture.release()
    if count == 0:
        raise ValueError(f'Video "{path}" has no frame that OpenCV can read.')
    if num_frames is not None and count < num_frames:
        raise ValueError('Video "{}" {}. Give a longer video.'.format(
            path, _count_problem(f'has {count} frames', num_frames,
                                 needed_for)))
    return np.stack(list(keep))
