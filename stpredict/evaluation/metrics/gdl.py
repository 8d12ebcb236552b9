"""Gradient difference (GDL) of the predicted frames."""
from numbers import Real
from typing import Optional, Sequence, Union

import torch

from stpredict.registry import METRICS
from ..functional import frame_gdl
from .reduced_frame_metric import ReducedFrameMetric


@METRICS.register_module()
class GDL(ReducedFrameMetric):
    """Gradient difference of the ``T_out`` predicted frames (Mathieu et al.
    2016), in ``[0, 1]`` units: how far the edges of the prediction are from
    the true ones (blurry predictions score high).

    Per frame, with the neighbour differences ``dx`` (along the width) and
    ``dy`` (along the height) and no padding:
    ``sum | |dx(pred)| - |dx(gt)| |**alpha + sum | |dy(pred)| - |dy(gt)|
    |**alpha`` over the ``C * H * (W - 1)`` and ``C * (H - 1) * W``
    differences.

    - ``reduction='frame_sum'`` reports ``gdl_per_frame``: that sum,
      averaged over frames and sequences (like ``mse_per_frame``).
    - ``reduction='pixel_mean'`` reports ``gdl_per_pixel``: the sum divided
      by the ``C * H * W`` pixels of the frame, averaged over frames and
      sequences.
    - ``reduction=('frame_sum', 'pixel_mean')`` reports both.

    Each key comes with its per-frame curve ``<key>_curve`` and, with
    ``baseline='copy_last'``, ``<key>_copy_last`` and
    ``<key>_copy_last_curve``. See :class:`BaseFrameMetric` for the
    averaging.

    Args:
        alpha (float): Exponent of the gradient differences, positive.
            Defaults to 1.0.
        reduction (str | Sequence[str]): ``'frame_sum'``, ``'pixel_mean'`` or
            both as a tuple. Defaults to ``'frame_sum'``.
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
    """

    def __init__(self,
                 alpha: float = 1.0,
                 reduction: Union[str, Sequence[str]] = 'frame_sum',
                 baseline: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            reduction=reduction,
            baseline=baseline,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        valid = isinstance(alpha, Real) and not isinstance(alpha, bool)
        if not (valid and alpha > 0):
            raise ValueError(
                f'GDL: alpha must be a positive number, got {alpha!r}.')
        self.alpha = alpha

    key = 'gdl'

    def frame_error(self, pred: torch.Tensor, gt: torch.Tensor,
                    reduction: str) -> torch.Tensor:
        """The gradient difference of every frame."""
        return frame_gdl(pred, gt, alpha=self.alpha, reduction=reduction)
