"""Tiny datasets in the on-disk layouts of the real ones, for the tests.

Every frame is one constant value that encodes its index in its video, so
the frame order survives resizing: frame ``t`` has the value
``frame_value(t)``.
"""
import os
import os.path as osp
from typing import Dict, Iterable, Sequence

import cv2
import numpy as np


def frame_value(t: int) -> int:
    """Pixel value of frame ``t`` (0-based) of every fixture video."""
    return (7 * t + 3) % 256


def write_frames(directory: str, num_frames: int, size=(12, 16),
                 channels: int = 1, pattern: str = 'image_{:04d}.png',
                 first: int = 1) -> None:
    """Write ``num_frames`` constant frames ``pattern.format(first + t)``."""
    os.makedirs(directory, exist_ok=True)
    for t in range(num_frames):
        shape = size if channels == 1 else (*size, channels)
        frame = np.full(shape, frame_value(t), np.uint8)
        cv2.imwrite(osp.join(directory, pattern.format(first + t)), frame)


KTH_ACTIONS = ('boxing', 'handclapping', 'handwaving', 'jogging', 'running',
               'walking')


def make_kth(root: str, persons: Iterable[int] = (1, 15, 17),
             num_frames: int = 24, size=(12, 16),
             actions: Sequence[str] = KTH_ACTIONS) -> Dict[str, int]:
    """KTH layout: one video (d1) per person and action; returns
    ``{folder: frames}``."""
    videos = {}
    for action in actions:
        for person in persons:
            name = f'person{person:02d}_{action}_d1_uncomp'
            write_frames(osp.join(root, action, name), num_frames, size)
            videos[f'{action}/{name}'] = num_frames
    return videos


WEIZMANN_ACTIONS = ('bend', 'jack', 'jump', 'pjump', 'run', 'side', 'skip',
                    'walk', 'wave1', 'wave2')


def make_weizmann(root: str,
                  persons: Iterable[str] = ('daria', 'lyova', 'moshe'),
                  num_frames: int = 22, size=(12, 16),
                  actions: Sequence[str] = WEIZMANN_ACTIONS) -> None:
    """Weizmann layout, plus a second take ``lena_run2`` when lena is
    among the persons."""
    for action in actions:
        for person in persons:
            write_frames(osp.join(root, action, f'{person}_{action}'),
                         num_frames, size)
    if 'lena' in persons and 'run' in actions:
        write_frames(osp.join(root, 'run', 'lena_run2'), num_frames, size)


def make_human36m(root: str, subjects: Iterable[int] = (1, 8, 9),
                  actions: Sequence[str] = ('Walking', 'Sitting_1'),
                  cameras: Sequence[str] = ('54138969', ),
                  num_frames: int = 10, size=(12, 16),
                  step: int = 1) -> None:
    """Flat Human3.6M folder ``S<k>_<Action>.<cam>_NNNNNN.jpg`` (colour);
    frame numbers 1, 1 + step, ... (the converter's --every)."""
    os.makedirs(root, exist_ok=True)
    for subject in subjects:
        for action in actions:
            for camera in cameras:
                for t in range(num_frames):
                    frame = np.full((*size, 3), frame_value(t), np.uint8)
                    name = (f'S{subject}_{action}.{camera}_'
                            f'{1 + t * step:06d}.jpg')
                    cv2.imwrite(osp.join(root, name), frame,
                                [cv2.IMWRITE_JPEG_QUALITY, 100])


def make_taxibj(path: str, num_train: int = 30, num_test: int = 5,
                size: int = 16, compressed: bool = False) -> None:
    """A fake TaxiBJ ``dataset.npz``: sample ``i`` of a part holds, in frame
    ``t`` (0-7 over X then Y) and channel ``c``, the value
    ``-1 + (t + 8 * c) / 16`` at pixel (0, 0) and ``i / 1000`` elsewhere."""
    arrays = {}
    for part, num in (('train', num_train), ('test', num_test)):
        full = np.zeros((num, 8, 2, size, size), np.float64)
        full += (np.arange(num) / 1000.0)[:, None, None, None, None]
        for t in range(8):
            for c in range(2):
                full[:, t, c, 0, 0] = -1 + (t + 8 * c) / 16
        arrays[f'X_{part}'] = full[:, :4]
        arrays[f'Y_{part}'] = full[:, 4:]
    save = np.savez_compressed if compressed else np.savez
    save(path, **arrays)


def taxibj_pixel(t: int, c: int) -> float:
    """The [0, 1] value of pixel (0, 0), frame ``t``, channel ``c``."""
    return (t + 8 * c) / 32
