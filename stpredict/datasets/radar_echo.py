"""Radar echo sequences for precipitation nowcasting."""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import (IMAGE_EXTENSIONS, list_files, list_subdirs,
                              load_npy, read_image, read_npy_frame)
from stpredict.registry import DATASETS
from .frame_sequences import (FrameFiles, SequenceRecord,
                              WindowedSequenceDataset, carve_split)

RADAR_HELP = (
    'Expected layout: <data_root>/<split folder>/ (default train/, val/, '
    'test/; or data_root itself with split_dirs=None) holding either '
    '(a) one folder per sequence of numbered frames (8-bit gray .png or '
    'uint8 .npy [H, W]), (b) one uint8 .npy array [T, H, W] per sequence, '
    'or (c) the numbered frames of one long time series directly. Pixel '
    'values are intensities 0-255 (see value_transform for their physical '
    'meaning). Convert images or float (dBZ, mm/h) frames with: python '
    'tools/dataset_converters/radar_echo.py <source> <data_root>/<split> '
    '[--value-range LOW HIGH --unit dbz].')

FRAME_EXTENSIONS = IMAGE_EXTENSIONS + ('.npy', )


def _read_any_frame(path: str) -> np.ndarray:
    if path.lower().endswith('.npy'):
        return read_npy_frame(path, RADAR_HELP)
    return read_image(path, 'gray', RADAR_HELP)


def _peek_npy(path: str) -> np.ndarray:
    return load_npy(path, 'Radar file', RADAR_HELP)


def _array_frames(array: np.ndarray) -> np.ndarray:
    """``[T, H, W]`` view of a sequence array ``[T, H, W]``,
    ``[T, H, W, 1]`` or ``[T, 1, H, W]``."""
    if array.ndim == 4 and array.shape[-1] == 1:
        return array[..., 0]
    if array.ndim == 4 and array.shape[1] == 1:
        return array[:, 0]
    return array


@DATASETS.register_module()
class RadarEcho(WindowedSequenceDataset):
    """Radar echo maps (or any single-channel 8-bit maps) over time.

    **Layout.** Each split lives in a folder, ``<data_root>/<split_dirs[
    split]>`` (``train/``, ``val/``, ``test/`` by default), which holds one
    of:

    - one folder per sequence (an event, a day) of frames, sorted
      naturally: 8-bit grayscale images (``.png``, ...) or uint8 ``.npy``
      arrays ``[H, W]``;
    - one uint8 ``.npy`` file per sequence, ``[T, H, W]`` (or ``[T, H, W,
      1]``, ``[T, 1, H, W]``), memory-mapped;
    - the frames of one long time series directly (images or per-frame
      ``.npy``).

    ``tools/dataset_converters/radar_echo.py`` writes the ``.npy`` layout
    from images or from float dBZ / rain-rate arrays.

    **Splits.** Radar archives come split by time (TMU: Beijing has its own
    training, validation and test observations; MS-RNN's German DWD data:
    2006-2014 train, 2015-2017 test), so each split is a folder. With
    ``split_dirs=None`` all data lives in ``data_root`` and the splits are
    carved chronologically: several sequences (names sorted naturally, taken
    as time order) give the last ``test_fraction`` to ``test`` and the
    ``val_fraction`` before them to ``val``; one long series is cut into
    three blocks of frames in time (train, val, test), and windows never
    cross a block boundary.

    **Windows**: ``T = input_frames + output_frames`` frames every
    ``interval`` frames (e.g. 6 to sample 5-minute data every 30 minutes),
    starts ``stride`` frames apart: ``floor((n - span) / stride) + 1``
    windows for ``n`` frames, ``span = (T - 1) * interval + 1``.

    **Values.** Frames are uint8 intensities ``[T, H, W, 1]`` (resized to
    ``image_size``); the model sees ``p = pixel / 255`` in ``[0, 1]``. What
    ``p`` means physically is given by ``value_transform``, which the
    dataset does not apply: it puts it into every data info and thus into
    the metainfo of each packed sample (key ``value_transform``), for
    nowcasting metrics and plots that work in physical units. Its form is
    the ``pixel_to_value`` spec of stpredict's nowcasting metrics
    (:class:`~stpredict.evaluation.functional.PixelConverter`), a linear map
    of ``p``:

    - ``dict(type='linear', scale=s, offset=o, quantity='dbz')``:
      ``dBZ = s * p + o`` (HKO-7 style: ``scale=70.0, offset=-10.0``);
    - ``dict(type='linear', scale=s, offset=o, quantity='rain_rate')``:
      ``mm/h = s * p + o``.

    ``tools/dataset_converters/radar_echo.py --value-range LOW HIGH --unit
    dbz`` maps ``LOW..HIGH`` to pixels ``0..255`` and prints the matching
    spec (``scale = HIGH - LOW``, ``offset = LOW``). The Z-R relation
    ``Z = a * R ** b`` between dBZ and rain rate (Marshall-Palmer a=200,
    b=1.6; DWD a=256, b=1.42) belongs to the metric's config. The metrics
    read the conversion from their own config (keep the two in agreement);
    nothing in the dataset depends on it.

    **Settings of the papers**: TMU (Guangzhou 2014/2016 sources, Beijing
    target): 6-minute frames resized to 256x256, 10 -> 10
    (``configs/_base_/datasets/radar_beijing.py``); MS-RNN (German DWD,
    5-minute data): frames bilinearly resized to 124x124, sampled every 30
    minutes (``interval=6``), 5 -> 5 (``configs/_base_/datasets/
    radar_dwd.py``).

    Args:
        data_root (str): Root of the data. Defaults to ``'data/radar'``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
        stride (int, optional): Frames between window starts. Defaults to
            None: ``T * interval`` (windows share no frame).
        interval (int): Frame-sampling interval within a window. Defaults to
            1.
        image_size (int | tuple[int, int], optional): Output frame size.
            Defaults to None: keep the size.
        split_dirs (dict, optional): Folder of each split under
            ``data_root``. Defaults to ``dict(train='train', val='val',
            test='test')``; None carves the splits from ``data_root``.
        val_fraction (float): With ``split_dirs=None``: share of the
            sequences (or of the frames of one series) for ``val``. Defaults
            to 0.1.
        test_fraction (float): With ``split_dirs=None``: share for ``test``.
            Defaults to 0.1.
        value_transform (dict, optional): Physical meaning of the pixel
            values (see above), stored in each sample's metainfo. Defaults
            to None.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    DEFAULT_SPLIT_DIRS = dict(train='train', val='val', test='test')
    LAYOUT_HELP = RADAR_HELP

    def __init__(self,
                 data_root: str = 'data/radar',
                 split: str = 'train',
                 input_frames: int = 10,
                 output_frames: int = 10,
                 stride: Optional[int] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = None,
                 split_dirs: Optional[Dict[str, str]] = DEFAULT_SPLIT_DIRS,
                 val_fraction: float = 0.1,
                 test_fraction: float = 0.1,
                 value_transform: Optional[dict] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        if value_transform is not None and not (
                isinstance(value_transform, dict)
                and isinstance(value_transform.get('type'), str)):
            raise ValueError(
                'RadarEcho: value_transform must be None or a dict with a '
                "'type', e.g. dict(type='linear', scale=70.0, offset=-10.0, "
                f"quantity='dbz'), got {value_transform!r}.")
        if split_dirs is not None and split not in split_dirs:
            raise ValueError(
                f'RadarEcho: split_dirs {dict(split_dirs)} names no folder '
                f'for the split {split!r}.')
        self.split_dirs = None if split_dirs is None else dict(split_dirs)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.value_transform = (None if value_transform is None else
                                dict(value_transform))
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

    def _scan(self, folder: str) -> List[SequenceRecord]:
        """The sequences of one folder (see the layouts above)."""
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'Radar folder "{folder}" not found. {RADAR_HELP}')
        images = list_files(folder, IMAGE_EXTENSIONS)
        arrays = list_files(folder, ('.npy', ))
        subdirs = list_subdirs(folder)
        if (images or arrays) and subdirs:
            raise ValueError(
                f'Radar folder "{folder}" mixes frame files with sequence '
                f'folders ({subdirs[:3]}...); keep one layout per folder. '
                f'{RADAR_HELP}')
        if images and arrays:
            raise ValueError(
                f'Radar folder "{folder}" mixes image and .npy files; keep '
                f'one kind. {RADAR_HELP}')
        if images or (arrays and _peek_npy(osp.join(
                folder, arrays[0])).ndim <= 2):
            names = images or arrays
            return [SequenceRecord(
                name=osp.basename(osp.normpath(folder)),
                length=len(names),
                source=FrameFiles(folder, names))]
        records = []
        for name in arrays:
            path = osp.join(folder, name)
            array = _array_frames(_peek_npy(path))
            if array.ndim != 3 or array.dtype != np.uint8:
                raise ValueError(
                    f'Radar file "{path}" holds a {array.dtype} array of '
                    f'shape {array.shape}, but a uint8 sequence [T, H, W] '
                    f'(pixel values 0-255) is expected. {RADAR_HELP}')
            records.append(SequenceRecord(
                name=osp.splitext(name)[0], length=array.shape[0],
                source=(path, 0)))
        for name in subdirs:
            directory = osp.join(folder, name)
            files = list_files(directory, FRAME_EXTENSIONS)
            if not files:
                raise ValueError(
                    f'Radar sequence folder "{directory}" holds no frames '
                    f'(.png images or .npy arrays). {RADAR_HELP}')
            records.append(SequenceRecord(
                name=name, length=len(files),
                source=FrameFiles(directory, files)))
        if not records:
            raise ValueError(f'Radar folder "{folder}" holds no frames or '
                             f'sequences. {RADAR_HELP}')
        return records

    def list_sequences(self) -> List[SequenceRecord]:
        """The sequences (or blocks of one series) of this split."""
        root = self.data_root or ''
        if self.split_dirs is not None:
            records = self._scan(osp.join(root, self.split_dirs[self.split]))
        else:
            records = self._scan(root)
            if len(records) > 1:
                indices = carve_split(len(records), self.val_fraction,
                                      self.test_fraction, shuffle=False)
                records = [records[i] for i in indices[self.split]]
            else:
                records = [self._block(records[0])]
        for record in records:
            if self.value_transform is not None:
                record.meta = dict(value_transform=self.value_transform)
        return records

    def _block(self, record: SequenceRecord) -> SequenceRecord:
        """This split's chronological block of one long series."""
        num = record.length
        bounds = carve_split(num, self.val_fraction, self.test_fraction,
                             shuffle=False)
        frames = bounds[self.split]
        if not frames:
            raise ValueError(
                f'RadarEcho: the split {self.split!r} is empty (its fraction '
                'is 0).')
        start, stop = frames[0], frames[-1] + 1
        source = record.source
        if isinstance(source, FrameFiles):
            source = source.slice(start, stop)
        else:
            source = (source[0], source[1] + start)
        return SequenceRecord(
            name=f'{record.name}[{start}:{stop}]', length=stop - start,
            source=source)

    def frame_label(self, record: SequenceRecord, index: int) -> str:
        if isinstance(record.source, FrameFiles):
            return record.source.path(index)
        path, offset = record.source
        return f'{path} [frame {offset + index}]'

    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        if isinstance(record.source, FrameFiles):
            return _read_any_frame(record.source.path(index))
        path, offset = record.source
        array = _array_frames(_peek_npy(path))
        return np.array(array[offset + index])[..., None]
