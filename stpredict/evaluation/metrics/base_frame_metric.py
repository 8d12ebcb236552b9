"""The averaging and per-frame curves shared by every frame metric."""
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.structures import BaseDataElement

#: Names of the naive forecasts a frame metric can score beside the model.
FRAME_BASELINES = ('copy_last', )
#: Suffix of the reported key for each reduction of MSE / MAE.
FRAME_REDUCTION_SUFFIXES = {
    'frame_sum': 'per_frame',
    'pixel_mean': 'per_pixel',
}


def _sort_key(sample_idx: Any, position: int) -> tuple:
    """Order sequences by ``sample_idx`` (arrival order if it is absent)."""
    if sample_idx is None:
        return (1, position)
    return (0, int(sample_idx))


class BaseFrameMetric(BaseMetric):
    """Base class of the metrics that give one value per predicted frame.

    A subclass only provides :meth:`frame_values`, which scores the ``T_out``
    frames of one sequence under one or more names (e.g. ``'mse_per_frame'``).
    This class does the rest, the same way for every metric:

    - **Which frames count**: all the ``T_out`` frames of ``pred_frames``,
      compared with ``gt_frames`` (the observed ``input_frames`` are not
      scored).
    - **Averaging**: the value of each name is computed per frame, in float64.
      ``<name>_curve`` is the per-frame curve: element ``t`` is the mean over
      all sequences of the value of frame ``t`` (list of ``T_out`` floats).
      ``<name>`` is the mean over frames and sequences, which is the mean of
      the curve. Every sequence of one evaluation must have the same
      ``T_out``.
    - **Baseline**: with ``baseline='copy_last'`` the naive forecast that
      repeats the last observed frame (``input_frames[-1]``) for all
      ``T_out`` frames is scored as well, under ``<name>_copy_last`` and
      ``<name>_copy_last_curve``. A useful model beats it.
    - **Per sequence** (``per_sequence=True``): ``<name>_per_sequence`` is
      also reported, the mean over frames of every sequence, ordered by
      ``sample_idx`` (for paired comparisons of two models on the same test
      sequences, see :func:`stpredict.utils.statistics.paired_bootstrap`).
    - **DDP**: ``process`` stores in ``self.results`` one small entry per
      sequence (a float64 array of ``T_out`` values per name); mmengine
      gathers them from all ranks before :meth:`compute_metrics`.

    The reported keys already name the metric, so ``default_prefix`` is empty
    and keys carry no prefix unless ``prefix`` is given (then
    ``'<prefix>/<key>'``).

    Args:
        baseline (str, optional): Naive forecast to score beside the model:
            None or ``'copy_last'``. Defaults to None.
        collect_device (str): Device used to collect the results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix added to the reported keys. Defaults to
            None (no prefix).
        collect_dir (str, optional): Directory used to collect the results
            across ranks when ``collect_device='cpu'``. Defaults to None.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 baseline: Optional[str] = None,
                 per_sequence: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if baseline is not None and baseline not in FRAME_BASELINES:
            raise ValueError(
                f'{type(self).__name__}: baseline must be None or one of '
                f'{FRAME_BASELINES}, got {baseline!r}.')
        self.baseline = baseline
        self.per_sequence = bool(per_sequence)

    @abstractmethod
    def frame_values(self, pred: torch.Tensor,
                     gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Score every frame of one sequence.

        Args:
            pred (torch.Tensor): Predicted frames ``[T_out, C, H, W]``,
                float64.
            gt (torch.Tensor): True frames ``[T_out, C, H, W]``, float64.

        Returns:
            dict[str, torch.Tensor]: For each reported name (e.g.
            ``'mse_per_frame'``), the ``[T_out]`` values of the frames.
        """

    def process(self, data_batch: Any,
                data_samples: Sequence[dict]) -> None:
        """Score the sequences of one batch and store their per-frame values.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, one dict per
                sequence (``SequenceDataSample.to_dict()``) with
                ``pred_frames`` and ``gt_frames`` ``[T_out, C, H, W]`` in
                ``[0, 1]``, and ``input_frames`` ``[T_in, C, H, W]`` when a
                baseline is scored.
        """
        for data_sample in data_samples:
            if isinstance(data_sample, BaseDataElement):
                data_sample = data_sample.to_dict()
            sample_idx = data_sample.get('sample_idx')
            pred = self._get_frames(data_sample, 'pred_frames')
            gt = self._get_frames(data_sample, 'gt_frames')
            if pred.shape != gt.shape:
                raise ValueError(
                    f'{type(self).__name__}: pred_frames and gt_frames of '
                    f'sample {sample_idx} must have the same shape [T_out, C, '
                    f'H, W], got pred_frames {tuple(pred.shape)} and '
                    f'gt_frames {tuple(gt.shape)}.')
            values = self._score(pred, gt, sample_idx)
            if self.baseline == 'copy_last':
                last_input = self._get_frames(data_sample, 'input_frames')[-1]
                if last_input.shape != gt.shape[1:]:
                    raise ValueError(
                        f'{type(self).__name__}: the copy_last baseline '
                        'needs input frames of the same [C, H, W] as '
                        'gt_frames, got input_frames of '
                        f'{tuple(last_input.shape)} and gt_frames '
                        f'{tuple(gt.shape)} in sample {sample_idx}.')
                copy_last = last_input.unsqueeze(0).expand_as(gt)
                baseline_values = self._score(copy_last, gt, sample_idx)
                values.update({
                    f'{name}_copy_last': value
                    for name, value in baseline_values.items()
                })
            self.results.append(dict(sample_idx=sample_idx, values=values))

    def compute_metrics(self, results: List[dict]) -> Dict[str, Any]:
        """Average the per-frame values over sequences.

        Args:
            results (list[dict]): One entry per sequence, from all ranks.

        Returns:
            dict: For each name, ``<name>`` (float, mean over frames and
            sequences) and ``<name>_curve`` (list of ``T_out`` floats, mean
            over sequences of each frame's value).
        """
        if not results:
            raise ValueError(
                f'{type(self).__name__} has no processed sequences to '
                'average; check that the dataloader is not empty.')
        lengths = {}
        for result in results:
            length = len(next(iter(result['values'].values())))
            lengths.setdefault(length, result['sample_idx'])
        if len(lengths) > 1:
            found = ', '.join(f'T_out={length} (e.g. sample {idx})'
                              for length, idx in sorted(lengths.items()))
            raise ValueError(
                f'{type(self).__name__} averages per-frame curves, so every '
                'sequence of one evaluation must predict the same number of '
                f'frames, but found {found}. Evaluate each output length '
                'separately.')

        metrics: Dict[str, Any] = {}
        for name in results[0]['values']:
            values = np.stack([result['values'][name] for result in results])
            curve = values.mean(axis=0)
            metrics[name] = float(curve.mean())
            metrics[f'{name}_curve'] = [float(value) for value in curve]
            if self.per_sequence:
                order = sorted(
                    range(len(results)),
                    key=lambda index: _sort_key(results[index]['sample_idx'],
                                                index))
                metrics[f'{name}_per_sequence'] = [
                    float(values[index].mean()) for index in order
                ]
        return metrics

    def _get_frames(self, data_sample: dict, key: str) -> torch.Tensor:
        """Fetch ``[T, C, H, W]`` frames from a data sample, float64."""
        sample_idx = data_sample.get('sample_idx')
        frames = data_sample.get(key)
        if frames is None:
            if key == 'gt_frames':
                raise ValueError(
                    f'{type(self).__name__} needs the true future frames '
                    f'(gt_frames), but sample {sample_idx} has none: '
                    'forecasting without future frames cannot be scored. '
                    'Evaluate on data that holds the T_out future frames, or '
                    'forecast without an evaluator.')
            if key == 'input_frames':
                raise ValueError(
                    f"{type(self).__name__} with baseline='copy_last' needs "
                    f'the observed input_frames, but sample {sample_idx} has '
                    'none. Keep input_frames in the data samples the model '
                    'returns, or set baseline=None.')
            raise ValueError(
                f'{type(self).__name__} needs {key} in every data sample, '
                f'but sample {sample_idx} has none (keys: '
                f'{sorted(data_sample)}).')
        if not isinstance(frames, torch.Tensor):
            frames = torch.as_tensor(frames)
        if frames.dim() != 4:
            raise ValueError(
                f'{type(self).__name__}: {key} of sample {sample_idx} must be '
                f'[T, C, H, W], got shape {tuple(frames.shape)}.')
        frames = frames.detach()
        if frames.device.type == 'mps':
            # MPS has no float64.
            frames = frames.cpu()
        return frames.to(torch.float64)

    def _score(self, pred: torch.Tensor, gt: torch.Tensor,
               sample_idx: Any) -> Dict[str, np.ndarray]:
        """Run :meth:`frame_values` and bring the values to the host."""
        values = {}
        for name, value in self.frame_values(pred, gt).items():
            if value.shape != gt.shape[:1]:
                raise RuntimeError(
                    f'{type(self).__name__}.frame_values must return one '
                    f'value per frame, shape ({gt.shape[0]},), got '
                    f'{tuple(value.shape)} for {name} in sample {sample_idx}.')
            values[name] = value.detach().cpu().numpy().astype(np.float64)
        return values
