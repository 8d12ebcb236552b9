"""Datasets of your own frame sequences, configured without code.

See ``docs/custom_dataset.md`` for a walk-through with a complete config.
"""
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from stpredict.fileio import (IMAGE_EXTENSIONS, list_files, list_subdirs,
                              open_array, read_image)
from stpredict.registry import DATASETS
from .frame_sequences import (FrameFiles, SequenceRecord,
                              WindowedSequenceDataset, carve_split)

SPLIT_MODES = ('fraction', 'all')

FOLDER_HELP = (
    'Expected layout: <data_root>/<sequence>/<frame images> (one folder '
    'per sequence, frames sorted naturally: 2.png before 10.png); a video '
    'becomes such a folder with e.g. ffmpeg -i video.mp4 '
    '<data_root>/<name>/%05d.png. See docs/custom_dataset.md.')

ARRAY_HELP = (
    'Expected: one .npy (or .npz) array [N, T, H, W] or [N, T, C, H, W] '
    '([N, T, H, W, C] with channels_last=True) of N sequences of T frames, '
    'uint8 (0-255) or float in [0, 1] (other ranges: give value_range). '
    'Save it with np.save(path, array). See docs/custom_dataset.md.')


def _check_split_args(split_mode: str, val_fraction: float,
                      test_fraction: float, name: str) -> None:
    if split_mode not in SPLIT_MODES:
        raise ValueError(
            f"{name}: split_mode must be 'fraction' (carve val/test "
            "sequences) or 'all' (every sequence belongs to the requested "
            f'split), got {split_mode!r}.')
    for arg, value in (('val_fraction', val_fraction),
                       ('test_fraction', test_fraction)):
        if not 0 <= value < 1:
            raise ValueError(
                f'{name}: {arg} must be in [0, 1), got {value!r}.')


@DATASETS.register_module()
class FrameFolderSequences(WindowedSequenceDataset):
    """Windows over folders of frame images, one folder per sequence.

    **Layout.** ``<data_root>/<sequence>/<frame files>``: every subfolder of
    ``data_root`` is one sequence (a video, a radar event, a simulation
    run); its image files (png, jpg, bmp, tif) are its frames, sorted
    naturally (``frame2.png`` before ``frame10.png``). Frames are read as
    ``color`` (``'gray'``: ``C = 1``; ``'rgb'``: ``C = 3``) and resized to
    ``image_size`` (without ``image_size`` all frames of a window must have
    one size).

    **Splits, by sequence** (never by windows of one sequence):
    ``split_mode='fraction'`` (default) carves ``val_fraction`` and
    ``test_fraction`` of the sequences for ``val`` and ``test`` (at least one
    each when the fraction is > 0), after a permutation by ``split_seed``
    (``shuffle_split=True``) or from the end of the naturally sorted names
    (``shuffle_split=False``: the last sequences, e.g. the most recent).
    ``split_mode='all'``: every sequence of ``data_root`` belongs to the
    requested split: for data already split into folders, point each
    split's ``data_root`` at its folder.

    **Windows**: over each sequence, ``T = input_frames + output_frames``
    frames every ``interval`` frames, starts ``stride`` frames apart:
    ``floor((n - span) / stride) + 1`` windows for ``n`` frames, ``span =
    (T - 1) * interval + 1``; the default stride ``T * interval`` gives
    windows that share no frame.

    Args:
        data_root (str): Folder of the sequence folders.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
        stride (int, optional): Frames between window starts. Defaults to
            None: ``T * interval``.
        interval (int): Frame-sampling interval within a window. Defaults to
            1.
        image_size (int | tuple[int, int], optional): Output frame size
            ``(height, width)``. Defaults to None: keep the size.
        color (str): ``'gray'`` or ``'rgb'``. Defaults to ``'gray'``.
        split_mode (str): ``'fraction'`` or ``'all'``. Defaults to
            ``'fraction'``.
        val_fraction (float): Share of the sequences for ``val``. Defaults to
            0.1.
        test_fraction (float): Share of the sequences for ``test``. Defaults
            to 0.1.
        shuffle_split (bool): Permute the sequences before carving. Defaults
            to True.
        split_seed (int): Seed of the permutation. Defaults to 0.
        extensions (Sequence[str]): File name endings read as frames.
            Defaults to ``IMAGE_EXTENSIONS``.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    LAYOUT_HELP = FOLDER_HELP

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 input_frames: int = 10,
                 output_frames: int = 10,
                 stride: Optional[int] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = None,
                 color: str = 'gray',
                 split_mode: str = 'fraction',
                 val_fraction: float = 0.1,
                 test_fraction: float = 0.1,
                 shuffle_split: bool = True,
                 split_seed: int = 0,
                 extensions: Sequence[str] = IMAGE_EXTENSIONS,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        if color not in ('gray', 'rgb'):
            raise ValueError(f"FrameFolderSequences: color must be 'gray' or "
                             f"'rgb', got {color!r}.")
        _check_split_args(split_mode, val_fraction, test_fraction,
                          'FrameFolderSequences')
        self.color = color
        self.split_mode = split_mode
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.shuffle_split = shuffle_split
        self.split_seed = split_seed
        self.extensions = tuple(extensions)
        super().__init__(
            split=split,
            input_frames=input_frames,
            output_frames=output_frames,
            stride=stride,
            interval=interval,
            image_size=image_size,
            pipeline=pipeline,
            data_root=data_root,
            **kwargs)

    def list_sequences(self) -> List[SequenceRecord]:
        """The sequence folders of this split (file names only)."""
        root = self.data_root or ''
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'FrameFolderSequences: data_root "{root}" not found. '
                f'{FOLDER_HELP}')
        names = list_subdirs(root)
        if not names:
            loose = list_files(root, self.extensions)
            hint = (f' It holds {len(loose)} frame files directly: move them '
                    'into a subfolder (one sequence), or one subfolder per '
                    'sequence.') if loose else ''
            raise ValueError(
                f'FrameFolderSequences: "{root}" has no sequence folders.'
                f'{hint} {FOLDER_HELP}')
        if self.split_mode == 'all':
            chosen = names
        else:
            indices = carve_split(
                len(names), self.val_fraction, self.test_fraction,
                self.shuffle_split, self.split_seed)[self.split]
            chosen = [names[i] for i in indices]
        records = []
        for name in chosen:
            directory = osp.join(root, name)
            files = list_files(directory, self.extensions)
            if not files:
                raise ValueError(
                    f'FrameFolderSequences: sequence folder "{directory}" '
                    f'holds no frame files ({", ".join(self.extensions)}). '
                    f'{FOLDER_HELP}')
            records.append(
                SequenceRecord(
                    name=name,
                    length=len(files),
                    source=FrameFiles(directory, files)))
        return records

    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        return read_image(record.source.path(index), self.color, FOLDER_HELP)


@DATASETS.register_module()
class ArraySequences(WindowedSequenceDataset):
    """Windows over the sequences of one array file ``[N, T, (C,) H, W]``.

    **Data.** A ``.npy`` file (memory-mapped: only the frames used are read)
    or a member of a ``.npz`` file (``key``; memory-mapped when saved with
    ``np.savez``, read into memory when compressed) holding ``N`` sequences
    of ``T`` frames: ``[N, T, H, W]`` (one channel), ``[N, T, C, H, W]`` or,
    with ``channels_last=True``, ``[N, T, H, W, C]``.

    **Values.** uint8 arrays give uint8 frames (0-255, scaled to [0, 1] by
    the data preprocessor). Float arrays must hold values in ``[0, 1]`` and
    give float32 frames. Any other range (or integer type), e.g. dBZ in
    ``[-10, 70]`` or 16-bit counts, needs ``value_range=(low, high)``:
    frames become float32 ``(x - low) / (high - low)``, clipped to
    ``[0, 1]``. The range of every window read is checked.

    **Splits, by sequence** (rows of the array, never windows of one row):
    as :class:`FrameFolderSequences` (``split_mode``, ``val_fraction``,
    ``test_fraction``, ``shuffle_split``, ``split_seed``; with
    ``shuffle_split=False`` the last rows are carved). For separate files
    per split use ``split_mode='all'`` and one ``data_file`` per split.

    **Windows**: over each row, ``floor((T - span) / stride) + 1`` windows,
    ``span = (T_in + T_out - 1) * interval + 1``; e.g. ``T = 20`` frames,
    10 -> 10 and the default stride give one window per row.

    Args:
        data_file (str): The ``.npy`` / ``.npz`` file (relative to
            ``data_root`` when that is given).
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        key (str, optional): Array of a ``.npz`` file; may be None when it
            holds one. Defaults to None.
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
        stride (int, optional): Frames between window starts. Defaults to
            None: ``(T_in + T_out) * interval``.
        interval (int): Frame-sampling interval within a window. Defaults to
            1.
        image_size (int | tuple[int, int], optional): Output frame size.
            Defaults to None: keep the size.
        channels_last (bool): Whether a 5-d array is ``[N, T, H, W, C]``.
            Defaults to False (``[N, T, C, H, W]``).
        value_range (tuple[float, float], optional): The ``(low, high)`` of
            the stored values, mapped to ``[0, 1]``. Defaults to None (uint8
            or float in ``[0, 1]``).
        split_mode (str): ``'fraction'`` or ``'all'``. Defaults to
            ``'fraction'``.
        val_fraction (float): Share of the rows for ``val``. Defaults to 0.1.
        test_fraction (float): Share of the rows for ``test``. Defaults to
            0.1.
        shuffle_split (bool): Permute the rows before carving. Defaults to
            True.
        split_seed (int): Seed of the permutation. Defaults to 0.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``data_root``, ``indices``, ...).
    """

    LAYOUT_HELP = ARRAY_HELP

    def __init__(self,
                 data_file: str,
                 split: str = 'train',
                 key: Optional[str] = None,
                 input_frames: int = 10,
                 output_frames: int = 10,
                 stride: Optional[int] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = None,
                 channels_last: bool = False,
                 value_range: Optional[Tuple[float, float]] = None,
                 split_mode: str = 'fraction',
                 val_fraction: float = 0.1,
                 test_fraction: float = 0.1,
                 shuffle_split: bool = True,
                 split_seed: int = 0,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        _check_split_args(split_mode, val_fraction, test_fraction,
                          'ArraySequences')
        if value_range is not None:
            if len(value_range) != 2 or not float(value_range[1]) > float(
                    value_range[0]):
                raise ValueError(
                    'ArraySequences: value_range must be (low, high) with '
                    f'high > low, got {value_range!r}.')
            value_range = (float(value_range[0]), float(value_range[1]))
        self.data_file_arg = data_file
        self.key = key
        self.channels_last = bool(channels_last)
        self.value_range = value_range
        self.split_mode = split_mode
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.shuffle_split = shuffle_split
        self.split_seed = split_seed
        self._array: Optional[np.ndarray] = None
        super().__init__(
            split=split,
            input_frames=input_frames,
            output_frames=output_frames,
            stride=stride,
            interval=interval,
            image_size=image_size,
            pipeline=pipeline,
            **kwargs)

    @property
    def data_file(self) -> str:
        """Path of the array file."""
        return osp.join(self.data_root or '', self.data_file_arg)

    def _open(self) -> np.ndarray:
        if self._array is not None:
            return self._array
        path = self.data_file
        array = open_array(path, self.key, ARRAY_HELP)
        if array.ndim not in (4, 5) or array.shape[0] < 1:
            raise ValueError(
                f'ArraySequences: "{path}" holds an array of shape '
                f'{array.shape}, but [N, T, H, W] or [N, T, C, H, W] is '
                f'expected. {ARRAY_HELP}')
        if array.dtype == np.bool_ or not (
                np.issubdtype(array.dtype, np.integer)
                or np.issubdtype(array.dtype, np.floating)):
            raise ValueError(
                f'ArraySequences: "{path}" has dtype {array.dtype}; numbers '
                f'are expected. {ARRAY_HELP}')
        if (array.dtype != np.uint8 and np.issubdtype(array.dtype, np.integer)
                and self.value_range is None):
            raise ValueError(
                f'ArraySequences: "{path}" holds {array.dtype} values; give '
                'value_range=(low, high) to map them to [0, 1] (uint8 and '
                f'float in [0, 1] need none). {ARRAY_HELP}')
        self._array = array
        return array

    def list_sequences(self) -> List[SequenceRecord]:
        """One record per row of the array that belongs to this split."""
        array = self._open()
        num = array.shape[0]
        if self.split_mode == 'all':
            rows = list(range(num))
        else:
            rows = carve_split(num, self.val_fraction, self.test_fraction,
                               self.shuffle_split, self.split_seed)[self.split]
        return [
            SequenceRecord(name=f'row {row}', length=array.shape[1],
                           source=row) for row in rows
        ]

    def frame_label(self, record: SequenceRecord, index: int) -> str:
        return f'{self.data_file} [{record.source}, {index}]'

    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        array = self._open()
        frame = np.asarray(array[record.source, index])
        if frame.ndim == 2:
            frame = frame[..., None]
        elif not self.channels_last:
            frame = frame.transpose(1, 2, 0)
        if self.value_range is not None:
            low, high = self.value_range
            frame = (frame.astype(np.float32) - low) / (high - low)
            return np.ascontiguousarray(np.clip(frame, 0.0, 1.0))
        if frame.dtype == np.uint8:
            return np.ascontiguousarray(frame)
        frame = frame.astype(np.float32)
        low, high = float(frame.min()), float(frame.max())
        if not (low >= 0.0 and high <= 1.0):
            raise ValueError(
                f'ArraySequences: frame {self.frame_label(record, index)} '
                f'has values in [{low}, {high}], but float data must be in '
                '[0, 1]; give value_range=(low, high) of the stored values. '
                f'{ARRAY_HELP}')
        return np.ascontiguousarray(frame)

    def __getstate__(self) -> Dict[str, Any]:
        # never pickle the memory map; workers map the file again
        state = self.__dict__.copy()
        state['_array'] = None
        return state
