"""TaxiBJ: crowd flows in Beijing (Zhang et al., AAAI 2017)."""
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import open_array
from stpredict.registry import DATASETS
from .base_sequence_dataset import BaseSequenceDataset
from .frame_sequences import check_split

TAXIBJ_HELP = (
    'Expected layout: <data_root>/dataset.npz holding the arrays X_train, '
    'Y_train, X_test, Y_test, each of shape (N, 4, 2, 32, 32) (sample, '
    'frame, in/out flow, height, width) with values in [-1, 1]: the TaxiBJ '
    'crowd flows (Zhang et al. 2017) as prepared for video prediction by '
    'MIM/E3D-LSTM and distributed by OpenSTL (X = 4 observed half-hours, '
    'Y = the next 4; 19,560 training and 1,344 test samples). Download '
    'that dataset.npz and put it there (or set data_root/file_name); no '
    'converter is needed.')


@DATASETS.register_module()
class TaxiBJ(BaseSequenceDataset):
    """TaxiBJ crowd flows: 2-channel (inflow, outflow) 32x32 grids every
    30 minutes, 4 -> 4 frames.

    **Layout.** ``<data_root>/dataset.npz`` with ``X_train``, ``Y_train``,
    ``X_test``, ``Y_test``, each ``(N, 4, 2, 32, 32)`` in ``[-1, 1]``
    (sample ``i`` is ``X[i]`` followed by ``Y[i]``). Members stored
    uncompressed (``np.savez``) are memory-mapped; compressed ones are read
    into memory once per process.

    **Frames** are float32 ``(x + 1) / 2`` in ``[0, 1]`` (clipped against
    rounding), channels last ``[T, 32, 32, 2]``; ``PackSequenceInputs``
    keeps them float32 and the data preprocessor passes them on unscaled.
    A window is the last ``input_frames`` of ``X[i]`` followed by the first
    ``output_frames`` of ``Y[i]``: one window per sample.

    **Splits.** ``test`` = all of ``X_test``/``Y_test``. TaxiBJ has no
    validation split, so the *last* ``val_samples`` training samples are
    the ``val`` split (a chronological carve: the samples of the file are
    taken to be in time order, consecutive samples being windows shifted by
    one half-hour), and the ``gap`` samples before them are dropped, so that
    no validation sample shares a frame with a training sample.
    ``train`` = the samples before the gap. By default ``val_samples`` =
    1,344 (four weeks, the size of the test split) and ``gap`` = 7
    (``X`` and ``Y`` frames - 1).

    Each data info holds ``sequence_idx`` (the row in ``X_train`` or
    ``X_test``), ``split``, ``input_frames_num``, ``output_frames_num`` and
    ``part`` (``'train'`` or ``'test'``: which arrays).

    Args:
        data_root (str): Folder of the file. Defaults to ``'data/taxibj'``.
        file_name (str): The ``.npz`` file in ``data_root`` (an absolute path
            is used as is). Defaults to ``'dataset.npz'``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        input_frames (int): Observed frames ``T_in`` (at most the frames of
            ``X``, 4). Defaults to 4.
        output_frames (int): Future frames ``T_out`` (at most the frames of
            ``Y``, 4). Defaults to 4.
        val_samples (int): Training samples at the end of ``X_train`` used
            for validation (0: no validation split). Defaults to 1344.
        gap (int, optional): Training samples dropped before the validation
            samples. Defaults to None: frames of ``X`` + frames of ``Y`` - 1.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self,
                 data_root: str = 'data/taxibj',
                 file_name: str = 'dataset.npz',
                 split: str = 'train',
                 input_frames: int = 4,
                 output_frames: int = 4,
                 val_samples: int = 1344,
                 gap: Optional[int] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        self.split = check_split(split, 'TaxiBJ')
        self.file_name = file_name
        if isinstance(val_samples, bool) or not isinstance(
                val_samples, int) or val_samples < 0:
            raise ValueError(
                f'TaxiBJ: val_samples must be an int >= 0, got '
                f'{val_samples!r}.')
        if gap is not None and (not isinstance(gap, int) or gap < 0):
            raise ValueError(f'TaxiBJ: gap must be None or an int >= 0, '
                             f'got {gap!r}.')
        self.val_samples = val_samples
        self.gap = gap
        self._arrays: Dict[str, np.ndarray] = {}
        super().__init__(
            input_frames=input_frames,
            output_frames=output_frames,
            pipeline=pipeline,
            data_root=data_root,
            **kwargs)

    @property
    def data_file(self) -> str:
        """Path of the ``.npz`` file."""
        return osp.join(self.data_root or '', self.file_name)

    @property
    def part(self) -> str:
        """Which arrays the split reads: ``'train'`` or ``'test'``."""
        return 'test' if self.split == 'test' else 'train'

    def _open(self, part: str):
        """Open (memory-map) ``X_<part>`` and ``Y_<part>`` and check them."""
        path = self.data_file
        arrays = []
        for prefix in ('X', 'Y'):
            key = f'{prefix}_{part}'
            if key not in self._arrays:
                array = open_array(path, key, TAXIBJ_HELP)
                if array.ndim != 5 or not np.issubdtype(
                        array.dtype, np.floating):
                    raise ValueError(
                        f'TaxiBJ: array "{key}" of "{path}" has shape '
                        f'{array.shape} and dtype {array.dtype}, but a float '
                        'array (N, T, C, H, W), e.g. (N, 4, 2, 32, 32), is '
                        f'expected. {TAXIBJ_HELP}')
                self._arrays[key] = array
            arrays.append(self._arrays[key])
        x, y = arrays
        if x.shape[0] != y.shape[0] or x.shape[2:] != y.shape[2:]:
            raise ValueError(
                f'TaxiBJ: X_{part} {x.shape} and Y_{part} {y.shape} of '
                f'"{path}" must have the same number of samples and the same '
                f'(C, H, W). {TAXIBJ_HELP}')
        return x, y

    def load_data_list(self) -> List[dict]:
        """Check the file and list one data info per sample of the split.

        Returns:
            list[dict]: The data infos.
        """
        x, y = self._open(self.part)
        if self.input_frames > x.shape[1] or self.output_frames > y.shape[1]:
            raise ValueError(
                f'TaxiBJ: input_frames={self.input_frames} and output_frames='
                f'{self.output_frames}, but the samples of "{self.data_file}"'
                f' have {x.shape[1]} observed (X) and {y.shape[1]} future (Y)'
                ' frames; use at most that many, e.g. 4 and 4.')
        num = x.shape[0]
        if self.split == 'test':
            rows = range(num)
        else:
            gap = (x.shape[1] + y.shape[1] - 1) if self.gap is None \
                else self.gap
            num_train = num - self.val_samples - gap
            if self.val_samples and num_train < 1:
                raise ValueError(
                    f'TaxiBJ: X_train of "{self.data_file}" has {num} '
                    f'samples, too few for val_samples={self.val_samples} '
                    f'plus a gap of {gap} and any training sample; lower '
                    'val_samples.')
            if self.split == 'train':
                rows = range(num if not self.val_samples else num_train)
            else:
                if not self.val_samples:
                    raise ValueError(
                        "TaxiBJ: split='val' needs val_samples > 0 (the "
                        'validation samples are carved from the end of '
                        'X_train).')
                rows = range(num - self.val_samples, num)
        return [
            dict(self.frame_info(row, self.split), part=self.part)
            for row in rows
        ]

    def load_sequence(self, data_info: Dict[str, Any]) -> Dict[str, Any]:
        """Read one sample as float32 frames ``[T, H, W, C]`` in ``[0, 1]``.

        Args:
            data_info (dict): The data info, with ``sequence_idx`` (row) and
                ``part``.

        Returns:
            dict: ``frames``.
        """
        x, y = self._open(data_info['part'])
        row = data_info['sequence_idx']
        frames = np.concatenate([
            np.asarray(x[row, x.shape[1] - self.input_frames:]),
            np.asarray(y[row, :self.output_frames])
        ]).astype(np.float32)
        low, high = float(frames.min()), float(frames.max())
        if not (low >= -1.001 and high <= 1.001):
            raise ValueError(
                f'TaxiBJ: sample {row} of X_/Y_{data_info["part"]} in '
                f'"{self.data_file}" has values in [{low}, {high}], but the '
                f'file must hold flows normalised to [-1, 1]. {TAXIBJ_HELP}')
        frames = np.clip((frames + 1.0) * 0.5, 0.0, 1.0)
        return dict(frames=np.ascontiguousarray(frames.transpose(0, 2, 3, 1)))

    def __getstate__(self) -> Dict[str, Any]:
        # never pickle the memory maps; workers map the file again
        state = self.__dict__.copy()
        state['_arrays'] = {}
        return state

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(data_file={self.data_file!r}, '
                f'split={self.split!r}, '
                f'frames={self.input_frames}+{self.output_frames})')
