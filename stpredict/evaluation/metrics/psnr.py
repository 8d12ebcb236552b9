"""Peak signal-to-noise ratio of the predicted frames."""
from typing import Dict, Optional

import torch

from stpredict.registry import METRICS
from ..functional import frame_psnr
from .base_frame_metric import BaseFrameMetric


@METRICS.register_module()
class PSNR(BaseFrameMetric):
    """Peak signal-to-noise ratio of the ``T_out`` predicted frames, in dB.

    Reports ``psnr``: ``10 * log10(data_range**2 / mse)`` computed per frame,
    where ``mse`` is the mean over the ``C * H * W`` values of the frame of
    the squared error, then averaged over frames and sequences (the average
    of the per-frame PSNRs, not the PSNR of the average error). A frame
    identical to its ground truth would score infinity: its normalised error
    is clamped to 1e-10, so its PSNR is capped at 100 dB.

    Reports the per-frame curve ``psnr_curve`` and, with
    ``baseline='copy_last'``, ``psnr_copy_last`` and ``psnr_copy_last_curve``.
    See :class:`BaseFrameMetric` for the averaging.

    Args:
        data_range (float): The range of the frame values, 1.0 for frames in
            ``[0, 1]``. Defaults to 1.0.
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        per_sequence (bool): Also report the per-sequence means
            (see :class:`BaseFrameMetric`). Defaults to False.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
    """

    def __init__(self,
                 data_range: float = 1.0,
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
        if not data_range > 0:
            raise ValueError(
                f'PSNR: data_range must be positive, got {data_range}.')
        self.data_range = data_range

    def frame_values(self, pred: torch.Tensor,
                     gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The PSNR of every frame."""
        return {'psnr': frame_psnr(pred, gt, data_range=self.data_range)}
