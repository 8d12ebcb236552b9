"""Shared machinery of the datasets made of frame sequences on disk.

A *sequence* is one video, one radar series or one array row: an ordered run
of frames. A dataset lists the sequences of its split when it is built (file
names only, no pixel is read) and indexes *windows* over them; the frames of a
window are read in ``__getitem__``.

Window rule, the same for every dataset built on
:class:`WindowedSequenceDataset`: with ``T = input_frames + output_frames``,
frame-sampling ``interval`` ``k`` and ``stride`` ``s`` (frames between the
starts of two windows), a window starting at frame ``a`` takes the frames
``a, a + k, ..., a + (T - 1) * k``; its span is ``(T - 1) * k + 1`` frames,
and a sequence of ``n`` frames gives the windows starting at
``0, s, 2s, ...`` up to ``n - span``, i.e.
``floor((n - span) / s) + 1`` windows when ``n >= span`` and none otherwise.
Windows never cross from one sequence into another. The default stride,
``T * k``, gives windows that share no frame.
"""
import os
import os.path as osp
import re
import struct
import zipfile
from abc import abstractmethod
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Tuple, Union)

import cv2
import numpy as np

from .base_sequence_dataset import BaseSequenceDataset

#: File name extensions read as frame images (lower case).
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
#: The splits every windowed dataset accepts.
SPLITS = ('train', 'val', 'test')

_DIGITS = re.compile(r'(\d+)')
_NUMBERED = re.compile(r'^(.*?)(\d+)(\D*)$')
#: The first bytes of every ``.npy`` file.
NPY_MAGIC = b'\x93NUMPY'


def natural_sort_key(text: str) -> List[Union[int, str]]:
    """Key that sorts ``'img2' < 'img10'`` (runs of digits as numbers)."""
    return [
        int(part) if part.isdigit() else part.lower()
        for part in _DIGITS.split(text)
    ]


def check_split(split: str, name: str) -> str:
    """Validate the ``split`` argument of dataset ``name``."""
    if split not in SPLITS:
        raise ValueError(
            f"{name}: split must be 'train', 'val' or 'test', but got "
            f'{split!r}.')
    return split


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


def window_starts(num_frames: int, total_frames: int, stride: int,
                  interval: int = 1) -> range:
    """First frames of the windows over a sequence (see the module doc).

    Args:
        num_frames (int): Frames in the sequence.
        total_frames (int): Frames per window, ``T_in + T_out``.
        stride (int): Frames between the starts of two windows.
        interval (int): Frames between two frames of a window. Defaults to 1.

    Returns:
        range: The start frames.
    """
    span = (total_frames - 1) * interval + 1
    if num_frames < span:
        return range(0)
    return range(0, num_frames - span + 1, stride)


class FrameFiles:
    """The sorted frame files of one directory, stored compactly.

    When every name is ``<prefix><number><suffix>`` with the same prefix,
    suffix and zero padding (``image_0001.png``, ``S1_Walking.54138969_000001
    .jpg``), only the numbers are kept (an int array); otherwise the names.
    A dataset of a million frames then pickles to its dataloader workers in
    a few megabytes.

    Args:
        directory (str): The directory of the files.
        names (Sequence[str]): The file names, already in frame order.
    """

    def __init__(self, directory: str, names: Sequence[str]) -> None:
        self.directory = directory
        self._names: Optional[List[str]] = None
        self._numbers: Optional[np.ndarray] = None
        self._pattern = ('', '', 0)
        compact = self._compact(names)
        if compact is None:
            self._names = list(names)
        else:
            self._pattern, self._numbers = compact

    @staticmethod
    def _compact(names: Sequence[str]):
        if not names:
            return None
        match = _NUMBERED.match(names[0])
        if match is None:
            return None
        prefix, digits, suffix = match.groups()
        width = len(digits) if digits.startswith('0') else 0
        numbers = []
        for name in names:
            match = _NUMBERED.match(name)
            if match is None or match.group(1) != prefix or match.group(
                    3) != suffix:
                return None
            number = int(match.group(2))
            if f'{prefix}{number:0{width}d}{suffix}' != name:
                return None
            numbers.append(number)
        return (prefix, suffix, width), np.asarray(numbers, np.int64)

    def __len__(self) -> int:
        if self._numbers is not None:
            return len(self._numbers)
        return len(self._names)

    def name(self, index: int) -> str:
        """File name of frame ``index``."""
        if self._numbers is not None:
            prefix, suffix, width = self._pattern
            return f'{prefix}{int(self._numbers[index]):0{width}d}{suffix}'
        return self._names[index]

    def path(self, index: int) -> str:
        """Path of frame ``index``."""
        return osp.join(self.directory, self.name(index))

    def slice(self, start: int, stop: int) -> 'FrameFiles':
        """The files ``start:stop`` (e.g. a chronological block)."""
        part = FrameFiles.__new__(FrameFiles)
        part.directory = self.directory
        part._pattern = self._pattern
        part._names = None if self._names is None else self._names[start:stop]
        part._numbers = (None if self._numbers is None else
                         self._numbers[start:stop])
        return part


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


def check_data_file(path: str, what: str = 'File',
                    help_text: str = '') -> None:
    """Fail with a clear message unless ``path`` is a readable, non-empty file.

    Args:
        path (str): The file.
        what (str): How to call the file in the message (``'Frame file'``,
            ``'Moving MNIST file'``). Defaults to ``'File'``.
        help_text (str): Appended to the message (the expected layout and
            the converter that makes the file).

    Raises:
        IsADirectoryError: When ``path`` is a directory.
        FileNotFoundError: When nothing exists at ``path``.
        PermissionError: When the file cannot be read (no read permission).
        ValueError: When the file is empty (0 bytes).
    """
    if osp.isdir(path):
        raise IsADirectoryError(
            f'{what} "{path}" is a directory, but a file is expected. '
            f'{help_text}'.strip())
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} "{path}" not found. {help_text}'
                                .strip())
    if not os.access(path, os.R_OK):
        raise PermissionError(
            f'{what} "{path}" cannot be read: no read permission (fix it '
            f'with chmod +r, or run as its owner). {help_text}'.strip())
    if osp.getsize(path) == 0:
        raise ValueError(
            f'{what} "{path}" is empty (0 bytes), e.g. an interrupted '
            f'download or conversion: make it again. {help_text}'.strip())


def _npy_problem(path: str, error: Exception) -> str:
    """Why a ``.npy`` file that starts with the signature cannot be mapped."""
    text = str(error)
    if 'object' in text.lower() or 'pickle' in text.lower():
        return ('it holds Python objects (dtype object), which are never '
                'loaded since unpickling can run code; save a numeric '
                'array, e.g. np.save(path, array.astype(np.uint8))')
    try:
        with open(path, 'rb') as file:
            version = np.lib.format.read_magic(file)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(file)
            else:
                header = np.lib.format.read_array_header_2_0(file)
            offset = file.tell()
    except (ValueError, OSError, EOFError):
        return ('it is truncated or corrupt: its header cannot be read '
                f'({text})')
    shape, _, dtype = header
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    size = osp.getsize(path)
    if size < expected:
        return (f'it is truncated: its header announces a {dtype} array of '
                f'shape {tuple(shape)} ({expected} bytes with the header) but '
                f'the file has {size} bytes; write it again')
    return text


def load_npy(path: str, what: str = 'File', help_text: str = '') -> np.ndarray:
    """Memory-map a ``.npy`` file, with clear errors for damaged files.

    Never unpickles: a file of Python objects is refused.

    Args:
        path (str): The ``.npy`` file.
        what (str): How to call the file in messages. Defaults to
            ``'File'``.
        help_text (str): Appended to error messages.

    Returns:
        np.ndarray: The array, memory-mapped read-only.

    Raises:
        OSError: When the file is missing, a directory or not readable (see
            :func:`check_data_file`).
        ValueError: When the file is empty, not a ``.npy`` file, truncated
            or holds Python objects; the message names the file.
    """
    check_data_file(path, what, help_text)
    with open(path, 'rb') as file:
        magic = file.read(len(NPY_MAGIC))
    if magic != NPY_MAGIC:
        raise ValueError(
            f'{what} "{path}" is not a readable .npy file: it does not start '
            'with the .npy signature (corrupt, or another format under a '
            '.npy name); save arrays with np.save. '
            f'{help_text}'.strip())
    try:
        array = np.load(path, mmap_mode='r', allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(
            f'{what} "{path}" is not a readable .npy file '
            f'({_npy_problem(path, error)}). {help_text}'.strip()) from error
    return array


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


def carve_split(num: int, val_fraction: float, test_fraction: float,
                shuffle: bool = True, seed: int = 0) -> Dict[str, List[int]]:
    """Assign ``num`` whole sequences to train / val / test.

    With ``shuffle`` the sequences are permuted by ``seed`` first (the same
    permutation for every split, so the splits are disjoint); without it
    they keep their order and val, then test, are taken from the end (the
    chronological carve of time-ordered data). A fraction ``f > 0`` gives
    ``max(1, round(f * num))`` sequences.

    Args:
        num (int): Number of sequences.
        val_fraction (float): Share of the validation split, in ``[0, 1)``.
        test_fraction (float): Share of the test split, in ``[0, 1)``.
        shuffle (bool): Permute before carving. Defaults to True.
        seed (int): Seed of the permutation. Defaults to 0.

    Returns:
        dict[str, list[int]]: Sorted sequence indices of each split.
    """
    for name, value in (('val_fraction', val_fraction),
                        ('test_fraction', test_fraction)):
        if not 0 <= value < 1:
            raise ValueError(f'{name} must be in [0, 1), but got {value!r}.')

    def count(fraction: float) -> int:
        return 0 if fraction == 0 else max(1, int(round(fraction * num)))

    num_val, num_test = count(val_fraction), count(test_fraction)
    if num_val + num_test >= num:
        raise ValueError(
            f'Cannot carve val_fraction={val_fraction} and test_fraction='
            f'{test_fraction} out of {num} sequence(s) and keep any for '
            'training: add sequences or lower the fractions (0 disables a '
            'split).')
    order = np.arange(num)
    if shuffle:
        order = np.random.default_rng(seed).permutation(num)
    num_train = num - num_val - num_test
    return dict(
        train=sorted(order[:num_train].tolist()),
        val=sorted(order[num_train:num_train + num_val].tolist()),
        test=sorted(order[num_train + num_val:].tolist()))


def _npz_member_memmap(path: str, member: str) -> Optional[np.ndarray]:
    """Memory-map an uncompressed member of a ``.npz`` file, or None."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, 'rb') as file:
        file.seek(info.header_offset)
        header = file.read(30)
        if header[:4] != b'PK\x03\x04':
            return None
        name_len, extra_len = struct.unpack('<HH', header[26:30])
        file.seek(info.header_offset + 30 + name_len + extra_len)
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
        else:
            return None
        offset = file.tell()
    if dtype.hasobject:
        return None
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype)
    return np.memmap(
        path, dtype=dtype, mode='r', offset=offset, shape=shape,
        order='F' if fortran else 'C')


def open_array(path: str, key: Optional[str] = None,
               help_text: str = '') -> np.ndarray:
    """Open an array of a ``.npy`` or ``.npz`` file without reading it.

    ``.npy`` files are memory-mapped; so are the members of ``.npz`` files
    written uncompressed (``np.savez``). Members of compressed files
    (``np.savez_compressed``) cannot be mapped and are read into memory
    (once per process).

    Args:
        path (str): The file.
        key (str, optional): The member of a ``.npz`` file; may be None when
            the file holds one array.
        help_text (str): Appended to error messages.

    Returns:
        np.ndarray: The array (often a read-only memory map).
    """
    if path.lower().endswith('.npz'):
        check_data_file(path, 'File', help_text)
        try:
            with zipfile.ZipFile(path) as archive:
                members = [name[:-4] for name in archive.namelist()
                           if name.endswith('.npy')]
        except (zipfile.BadZipFile, OSError) as error:
            raise ValueError(f'File "{path}" is not a readable .npz file '
                             f'({error}). {help_text}'.strip()) from error
        if key is None:
            if len(members) != 1:
                raise ValueError(
                    f'File "{path}" holds the arrays {members}; say which '
                    f'one to use (the key argument). {help_text}'.strip())
            key = members[0]
        if key not in members:
            raise ValueError(
                f'File "{path}" has no array "{key}"; it holds {members}. '
                f'{help_text}'.strip())
        try:
            array = _npz_member_memmap(path, key + '.npy')
            if array is None:
                with np.load(path, allow_pickle=False) as archive:
                    array = archive[key]
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(
                f'Array "{key}" of "{path}" cannot be read ({error}). '
                f'{help_text}'.strip()) from error
        return array
    array = load_npy(path, 'File', help_text)
    if not isinstance(array, np.ndarray):
        raise ValueError(f'File "{path}" does not hold a single array. '
                         f'{help_text}'.strip())
    return array


class SequenceRecord:
    """One sequence of a dataset: its name, length and where its frames are.

    Args:
        name (str): A readable name (a folder, a file, ``'row 12'``).
        length (int): Number of frames.
        source (Any): What the dataset needs to read the frames (a
            :class:`FrameFiles`, a file path, a row index, ...).
        stride (int, optional): Stride of this sequence's windows; None for
            the dataset's stride. Defaults to None.
        meta (dict, optional): Items added to the data info of each of its
            windows (e.g. ``person``, ``action``). Defaults to None.
    """

    __slots__ = ('name', 'length', 'source', 'stride', 'meta')

    def __init__(self,
                 name: str,
                 length: int,
                 source: Any,
                 stride: Optional[int] = None,
                 meta: Optional[dict] = None) -> None:
        self.name = name
        self.length = int(length)
        self.source = source
        self.stride = stride
        self.meta = meta or {}

    def __repr__(self) -> str:
        return f'SequenceRecord({self.name!r}, length={self.length})'


class WindowedSequenceDataset(BaseSequenceDataset):
    """Base class of the datasets of windows over frame sequences on disk.

    A subclass lists the sequences of its split (:meth:`list_sequences`,
    file names only) and reads one frame (:meth:`read_frame`); this class
    indexes the windows (see the module docstring for the rule), reads the
    frames of a window in ``__getitem__``, resizes them to ``image_size`` and
    checks that they fit together.

    Each data info holds ``sample_idx``, ``sequence_idx`` (the index of the
    window among all windows of the split), ``split``, ``input_frames_num``,
    ``output_frames_num``, ``video_idx`` (index of the sequence in
    ``self.sequences``), ``sequence_name``, ``start_frame`` and
    ``frame_interval``, and the items of the sequence's ``meta``; before the
    pipeline, ``frames`` ``[T, H, W, C]`` (uint8, or float32 in ``[0, 1]``)
    is added.

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        input_frames (int): Observed frames ``T_in``.
        output_frames (int): Future frames ``T_out``.
        stride (int, optional): Frames between the starts of two windows.
            Defaults to None: ``T * interval`` (windows share no frame).
        interval (int): Frames between two frames of a window (1 = every
            frame). Defaults to 1.
        image_size (int | tuple[int, int], optional): Resize every frame to
            this ``(height, width)`` (an int for square frames). Defaults to
            None: keep the size (all frames of a window must then have the
            same size).
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    #: Appended to error messages: the expected layout and the converter.
    LAYOUT_HELP = ''

    def __init__(self,
                 split: str,
                 input_frames: int,
                 output_frames: int,
                 stride: Optional[int] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        self.split = check_split(split, type(self).__name__)
        self.interval = check_positive_int(interval, 'interval')
        self.image_size = parse_image_size(image_size)
        self._stride_arg = stride
        self.sequences: List[SequenceRecord] = []
        super().__init__(
            input_frames=input_frames,
            output_frames=output_frames,
            pipeline=pipeline,
            **kwargs)

    @property
    def window_span(self) -> int:
        """Frames from the first to the last frame of a window, inclusive."""
        return (self.total_frames - 1) * self.interval + 1

    @property
    def stride(self) -> int:
        """The default stride of the windows."""
        if self._stride_arg is None:
            return self.total_frames * self.interval
        return check_positive_int(self._stride_arg, 'stride')

    def layout_help(self) -> str:
        """The expected layout and the converter, for error messages."""
        return self.LAYOUT_HELP

    @abstractmethod
    def list_sequences(self) -> List[SequenceRecord]:
        """List the sequences of ``self.split`` (names, no pixels).

        Returns:
            list[SequenceRecord]: The sequences, in a fixed order.
        """

    @abstractmethod
    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        """Read frame ``index`` of a sequence as ``[H, W, C]``."""

    def frame_label(self, record: SequenceRecord, index: int) -> str:
        """Where frame ``index`` of a sequence comes from (for messages)."""
        source = record.source
        if isinstance(source, FrameFiles):
            return source.path(index)
        return f'{record.name} frame {index}'

    def load_data_list(self) -> List[dict]:
        """List the sequences of the split and one data info per window.

        Returns:
            list[dict]: The data infos.
        """
        name = type(self).__name__
        self.sequences = list(self.list_sequences())
        if not self.sequences:
            raise ValueError(
                f'{name} found no sequence of the split {self.split!r} under '
                f'"{self.data_root}". {self.layout_help()}')
        data_list = []
        for video_idx, record in enumerate(self.sequences):
            stride = record.stride or self.stride
            for start in window_starts(record.length, self.total_frames,
                                       stride, self.interval):
                info = self.frame_info(len(data_list), self.split)
                info.update(
                    video_idx=video_idx,
                    sequence_name=record.name,
                    start_frame=int(start),
                    frame_interval=self.interval)
                info.update(record.meta)
                data_list.append(info)
        if not data_list:
            longest = max(self.sequences, key=lambda record: record.length)
            first = (self.frame_label(longest, 0)
                     if longest.length else longest.name)
            raise ValueError(
                f'{name}: none of the {len(self.sequences)} sequence(s) of '
                f'the split {self.split!r} is long enough for one window: a '
                f'window of {self.input_frames} + {self.output_frames} frames '
                f'taken every {self.interval} frame(s) spans '
                f'{self.window_span} frames, but the longest sequence has '
                f'{longest.length} (its first frame: "{first}"). Lower '
                'input_frames/output_frames/interval, or add frames. '
                f'{self.layout_help()}'.strip())
        return data_list

    def load_sequence(self, data_info: Dict[str, Any]) -> Dict[str, Any]:
        """Read, resize and stack the frames of one window.

        Args:
            data_info (dict): The data info of the window.

        Returns:
            dict: ``frames``, ``[T, H, W, C]``.
        """
        record = self.sequences[data_info['video_idx']]
        start = data_info['start_frame']
        frames = []
        for step in range(self.total_frames):
            index = start + step * self.interval
            frame = self.read_frame(record, index)
            if self.image_size is not None:
                frame = resize_frame(frame, self.image_size)
            if frames and frame.shape != frames[0].shape:
                raise ValueError(
                    f'Frame "{self.frame_label(record, index)}" has shape '
                    f'{frame.shape} (H, W, C), but the first frame of its '
                    f'window, "{self.frame_label(record, start)}", has '
                    f'{frames[0].shape}. Give image_size to resize every '
                    'frame to one size, or fix the data.')
            frames.append(frame)
        return dict(frames=np.stack(frames))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(data_root={self.data_root!r}, '
                f'split={self.split!r}, sequences={len(self.sequences)}, '
                f'windows={len(self)}, '
                f'frames={self.input_frames}+{self.output_frames}, '
                f'interval={self.interval}, image_size={self.image_size})')
