"""Frame metrics reported per-frame sum and/or per-pixel mean."""
from abc import abstractmethod
from typing import Dict, Optional, Sequence, Union

import torch

from ..functional import normalize_reductions
from .base_frame_metric import FRAME_REDUCTION_SUFFIXES, BaseFrameMetric


class ReducedFrameMetric(BaseFrameMetric):
    """A per-pixel error reduced over each frame in one or two ways.

    ``reduction='frame_sum'`` reports ``<key>_per_frame`` (the sum over the
    ``C * H * W`` values of a frame), ``'pixel_mean'`` reports
    ``<key>_per_pixel`` (their mean), a tuple reports both. Subclasses set
    ``key`` and compute one frame's error in :meth:`frame_error`.

    Args:
        reduction (str | Sequence[str]): ``'frame_sum'``, ``'pixel_mean'`` or
            both as a tuple. Defaults to ``'frame_sum'``.
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        per_sequence (bool): Also report the per-sequence means
            (see :class:`BaseFrameMetric`). Defaults to False.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
    """

    key: str = ''

    def __init__(self,
                 reduction: Union[str, Sequence[str]] = 'frame_sum',
                 baseline: Optional[str] = None,
                 per_sequence: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            baseline=baseline,
            per_sequence=per_sequence,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        self.reductions = normalize_reductions(reduction)

    @abstractmethod
    def frame_error(self, pred: torch.Tensor, gt: torch.Tensor,
                    reduction: str) -> torch.Tensor:
        """The error of every frame ``[..., C, H, W] -> [...]``."""

    def frame_values(self, pred: torch.Tensor,
                     gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The error of every frame, for each reduction."""
        return {
            f'{self.key}_{FRAME_REDUCTION_SUFFIXES[reduction]}':
            self.frame_error(pred, gt, reduction)
            for reduction in self.reductions
        }
