"""The mean frame of the training split, for every lead time."""
import hashlib
import json
import os
import os.path as osp
import time
from typing import Any, Optional

import numpy as np
import torch
from mmengine.logging import print_log

from .base_forecast import BaseForecast


def _plain(value: Any) -> Any:
    """A config (ConfigDict, tuples) as plain JSON-able Python."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def spread_indices(length: int, count: int) -> np.ndarray:
    """``count`` indices spread evenly over ``range(length)`` (all if fewer).

    Args:
        length (int): The dataset length.
        count (int): How many indices at most.

    Returns:
        np.ndarray: Sorted, distinct int64 indices.
    """
    if length <= count:
        return np.arange(length, dtype=np.int64)
    return np.unique(np.linspace(0, length - 1, count).round().astype(
        np.int64))


def mean_training_frame(dataset: Any,
                        value_scale: float = 255.0,
                        num_sequences: int = 256) -> np.ndarray:
    """The mean frame over windows of a dataset, in ``[0, 1]`` units.

    Every frame (observed and future) of ``num_sequences`` windows spread
    evenly over the dataset counts once; windows that overlap count their
    shared frames more than once. Integer frames are divided by
    ``value_scale`` as the model's data preprocessor does.

    Args:
        dataset (Dataset): Built dataset whose items hold ``inputs``
            ``[T, C, H, W]`` (the output of ``PackSequenceInputs``).
        value_scale (float): Divisor of integer frames. Defaults to 255.
        num_sequences (int): Windows to average at most. Defaults to 256.

    Returns:
        np.ndarray: float32 ``[C, H, W]``.
    """
    if len(dataset) == 0:
        raise ValueError('The training split is empty, so it has no mean '
                         'frame; remove train_mean from the baselines.')
    total = None
    frames = 0
    for index in spread_indices(len(dataset), num_sequences):
        inputs = dataset[int(index)]['inputs']
        inputs = torch.as_tensor(inputs)
        values = inputs.to(torch.float64)
        if not inputs.is_floating_point():
            values = values / value_scale
        window = values.sum(dim=0)
        total = window if total is None else total + window
        frames += values.shape[0]
    return (total / frames).numpy().astype(np.float32)


class TrainMeanForecast(BaseForecast):
    """Forecast the mean frame of the training split at every lead time.

    The climatology of the data: what a forecaster that ignores the
    observed frames should predict to minimise the squared error over the
    training data. The mean is computed once from ``num_sequences`` windows
    spread over the training split (see :func:`mean_training_frame`) and
    cached in ``cache_dir`` under a name that hashes the dataset config,
    ``value_scale`` and ``num_sequences``, so the next test reads it back.

    Args:
        dataset (dict, optional): Config of the training dataset (as in
            ``train_dataloader.dataset``). ``tools/test.py`` fills it in.
            Defaults to None (then ``mean_file`` is needed).
        mean_file (str, optional): A ``.npy`` file with the ``[C, H, W]``
            mean frame in ``[0, 1]`` units, used instead of computing it.
            Defaults to None.
        value_scale (float): Divisor of integer frames, the model's
            ``data_preprocessor.value_scale``. Defaults to 255.
        num_sequences (int): Training windows averaged at most. Defaults to
            256.
        cache_dir (str, optional): Folder of the cached mean frames.
            Defaults to None (no cache).
    """

    name = 'train_mean'
    description = 'the mean training frame'

    def __init__(self,
                 dataset: Optional[dict] = None,
                 mean_file: Optional[str] = None,
                 value_scale: float = 255.0,
                 num_sequences: int = 256,
                 cache_dir: Optional[str] = None) -> None:
        if dataset is None and mean_file is None:
            raise ValueError(
                'TrainMeanForecast needs the training dataset config '
                '(dataset=cfg.train_dataloader.dataset, which tools/test.py '
                'passes) or a mean_file (.npy of the [C, H, W] mean frame).')
        if int(num_sequences) != num_sequences or num_sequences < 1:
            raise ValueError('TrainMeanForecast: num_sequences must be a '
                             f'positive integer, got {num_sequences!r}.')
        self.dataset = _plain(dataset) if dataset is not None else None
        self.mean_file = mean_file
        self.value_scale = float(value_scale)
        self.num_sequences = int(num_sequences)
        self.cache_dir = cache_dir
        self.mean_frame: Optional[torch.Tensor] = None

    @property
    def cache_file(self) -> Optional[str]:
        """Where the mean of this dataset config is cached (or None)."""
        if self.cache_dir is None or self.dataset is None:
            return None
        key = json.dumps(
            dict(dataset=self.dataset, value_scale=self.value_scale,
                 num_sequences=self.num_sequences), sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return osp.join(self.cache_dir, f'train_mean_{digest}.npy')

    def prepare(self) -> None:
        """Load or compute the mean frame (once)."""
        if self.mean_frame is not None:
            return
        path = self.mean_file or self.cache_file
        if path is not None and osp.isfile(path):
            mean = np.load(path)
            source = f'read from {path}'
        elif self.mean_file is not None:
            raise FileNotFoundError(
                f'TrainMeanForecast: mean_file {self.mean_file} does not '
                'exist; give a .npy of the [C, H, W] mean frame, or leave '
                'mean_file out to compute it from the training split.')
        else:
            mean, source = self._compute()
        if mean.ndim != 3:
            raise ValueError(
                f'The mean training frame must be [C, H, W], got shape '
                f'{mean.shape} ({source}).')
        self.mean_frame = torch.from_numpy(np.asarray(mean, np.float32))
        print_log(
            f'Baseline train_mean: mean frame {tuple(mean.shape)}, value '
            f'{float(mean.mean()):.4f} on average, {source}.',
            logger='current')

    def _compute(self):
        from stpredict.registry import DATASETS
        start = time.perf_counter()
        try:
            dataset = DATASETS.build(self.dataset)
        except Exception as error:  # noqa: BLE001 - re-raised with the fix
            raise RuntimeError(
                'The train_mean baseline averages frames of the training '
                f'split, which could not be loaded ({error}). Make the '
                'training data available, give a precomputed mean with '
                "dict(type='train_mean', mean_file=...), or leave train_mean "
                'out (--baselines copy_last zeros).') from error
        mean = mean_training_frame(dataset, self.value_scale,
                                   self.num_sequences)
        used = min(len(dataset), self.num_sequences)
        source = (f'computed from {used} of {len(dataset)} training windows '
                  f'in {time.perf_counter() - start:.1f} s')
        path = self.cache_file
        if path is not None:
            os.makedirs(osp.dirname(path), exist_ok=True)
            temporary = f'{path}.{os.getpid()}.tmp.npy'
            np.save(temporary, mean)
            os.replace(temporary, path)  # atomic: ranks may race
            source += f', cached in {path}'
        return mean, source

    def forecast(self, input_frames: torch.Tensor,
                 output_frames: int) -> torch.Tensor:
        """The mean training frame, ``output_frames`` times."""
        self.prepare()
        mean = self.mean_frame
        if tuple(mean.shape) != tuple(input_frames.shape[1:]):
            raise ValueError(
                f'The mean training frame is {tuple(mean.shape)} but the '
                f'test frames are {tuple(input_frames.shape[1:])} [C, H, W]: '
                'the training and test splits must have the same frame size '
                'for the train_mean baseline (or give a mean_file of the '
                'test size).')
        mean = mean.to(device=input_frames.device, dtype=input_frames.dtype)
        return mean.unsqueeze(0).expand(output_frames, *mean.shape)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_sequences={self.num_sequences}, '
                f'mean_file={self.mean_file!r})')
