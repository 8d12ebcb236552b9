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
from abc import abstractmethod
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import check_positive_int, parse_image_size, resize_frame
from .base_sequence_dataset import BaseSequenceDataset
from .frame_files import FrameFiles

#: The splits every windowed dataset accepts.
SPLITS = ('train', 'val', 'test')


def check_split(split: str, name: str) -> str:
    """Validate the ``split`` argument of dataset ``name``."""
    if split not in SPLITS:
        raise ValueError(
            f"{name}: split must be 'train', 'val' or 'test', but got "
            f'{split!r}.')
    return split


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
