"""Helpers shared by the dataset converters (OpenCV and numpy; mmengine or
tqdm for the progress bar when installed)."""
import os
import os.path as osp
import re
import shutil
import sys
from typing import Iterable, Iterator, List, Optional, Tuple, TypeVar

import cv2
import numpy as np

T = TypeVar('T')
_DIGITS = re.compile(r'(\d+)')


def natural_key(text: str) -> list:
    """Sort key that puts ``2.png`` before ``10.png``."""
    return [int(p) if p.isdigit() else p.lower() for p in _DIGITS.split(text)]


def progress(items: Iterable[T], total: Optional[int] = None,
             desc: str = '') -> Iterator[T]:
    """Iterate with a progress bar over the ``total`` items: tqdm when it is
    installed, else mmengine's ``ProgressBar`` (``[>>>   ] 12/599, 3.1
    task/s, elapsed: 4s, ETA: 190s``), else lines such as ``kth: 12/599``
    printed about every 5 %."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(items, total=total, desc=desc)
        return
    if total is None:
        items = list(items)
        total = len(items)
    try:
        from mmengine.utils import ProgressBar
    except ImportError:
        ProgressBar = None
    if ProgressBar is not None and total > 0:
        print(f'{desc}: {total} item(s)', flush=True)
        bar = ProgressBar(total)
        try:
            for item in items:
                yield item
                bar.update()
        finally:
            sys.stdout.write('\n')
            sys.stdout.flush()
        return
    step = max(1, total // 20)
    for index, item in enumerate(items, 1):
        yield item
        if index % step == 0 or index == total:
            print(f'{desc}: {index}/{total}', flush=True)


def parse_size(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """``'128'`` -> (128, 128); ``'120x160'`` -> (120, 160) (height x
    width); None -> None."""
    if text is None:
        return None
    parts = text.lower().split('x')
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        sizes = []
    if len(sizes) == 1:
        sizes = sizes * 2
    if len(sizes) != 2 or min(sizes) < 1:
        raise SystemExit(f'--image-size must be N or HxW (e.g. 128 or '
                         f'120x160), got {text!r}.')
    return sizes[0], sizes[1]


def resize(frame: np.ndarray, size: Optional[Tuple[int, int]]) -> np.ndarray:
    """Resize to ``(height, width)`` (area when shrinking, else bilinear)."""
    if size is None or frame.shape[:2] == tuple(size):
        return frame
    height, width = size
    shrink = height <= frame.shape[0] and width <= frame.shape[1]
    method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=method)


def find_files(root: str, extensions: Tuple[str, ...]) -> List[str]:
    """Files under ``root`` (recursively) ending in ``extensions``, sorted
    naturally by path."""
    found = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            if name.lower().endswith(extensions) and not name.startswith('.'):
                found.append(osp.join(directory, name))
    return sorted(found, key=natural_key)


def read_video(path: str, gray: bool = True, every: int = 1,
               size: Optional[Tuple[int, int]] = None
               ) -> Iterator[Tuple[int, np.ndarray]]:
    """Yield ``(frame_number, frame)`` of a video with OpenCV, numbers from
    1, keeping frames 1, 1 + every, ...; gray frames are ``[H, W]``, colour
    frames BGR ``[H, W, 3]``.

    Raises:
        RuntimeError: When the file cannot be opened or has no frame.
    """
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise RuntimeError(f'cannot open the video "{path}" with OpenCV '
                           '(missing, corrupt, or a codec OpenCV lacks).')
    number = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            number += 1
            if (number - 1) % every:
                continue
            if gray and frame.ndim == 3:
                frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            yield number, resize(frame, size)
    finally:
        capture.release()
    if number == 0:
        raise RuntimeError(f'the video "{path}" has no readable frame.')


def video_to_folder(path: str, out_dir: str, gray: bool = True,
                    every: int = 1, size: Optional[Tuple[int, int]] = None,
                    pattern: str = 'image_{:04d}.png') -> int:
    """Write the frames of a video as ``out_dir/image_0001.png``, ... (kept
    frames numbered 1, 2, ...); returns the number written. Frames go to a
    temporary folder first, so an interrupted run leaves no half folder."""
    tmp_dir = out_dir + '.partial'
    os.makedirs(tmp_dir, exist_ok=True)
    for name in os.listdir(tmp_dir):
        os.remove(osp.join(tmp_dir, name))
    count = 0
    try:
        for _, frame in read_video(path, gray, every, size):
            count += 1
            target = osp.join(tmp_dir, pattern.format(count))
            if not cv2.imwrite(target, frame):
                raise RuntimeError(f'cannot write "{target}".')
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    if osp.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(osp.dirname(out_dir) or '.', exist_ok=True)
    os.rename(tmp_dir, out_dir)
    return count


def report_failures(failures: List[Tuple[str, str]]) -> int:
    """Print the failed inputs; return the exit status (1 if any)."""
    if not failures:
        return 0
    print(f'{len(failures)} input(s) failed:', file=sys.stderr)
    for path, reason in failures:
        print(f'  {path}: {reason}', file=sys.stderr)
    return 1
