"""Mean squared error of the predicted frames."""

import torch

from stpredict.registry import METRICS
from ..functional import frame_mse
from .reduced_frame_metric import ReducedFrameMetric


@METRICS.register_module()
class MSE(ReducedFrameMetric):
    """Mean squared error of the ``T_out`` predicted frames, in ``[0, 1]``
    units.

    Conventions:

    - ``reduction='frame_sum'`` reports ``mse_per_frame``: the **sum** over
      the ``C * H * W`` values of one frame of the squared error, averaged
      over frames and sequences (the "MSE per frame" of the PredRNN and TMU
      tables).
    - ``reduction='pixel_mean'`` reports ``mse_per_pixel``: the **mean** over
      the ``C * H * W`` values of one frame, averaged over frames and
      sequences.
    - ``reduction=('frame_sum', 'pixel_mean')`` reports both.

    Each key comes with its per-frame curve ``<key>_curve`` and, with
    ``baseline='copy_last'``, the copy-last-frame forecast's
    ``<key>_copy_last`` and ``<key>_copy_last_curve``. See
    :class:`BaseFrameMetric` for the averaging.

    Args:
        reduction (str | Sequence[str]): ``'frame_sum'``, ``'pixel_mean'`` or
            both as a tuple. Defaults to ``'frame_sum'``.
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
    """

    key = 'mse'

    def frame_error(self, pred: torch.Tensor, gt: torch.Tensor,
                    reduction: str) -> torch.Tensor:
        """The squared error of every frame."""
        return frame_mse(pred, gt, reduction)
