"""Structural similarity of the predicted frames."""
from typing import Dict, Optional

import torch

from stpredict.registry import METRICS
from ..functional import frame_ssim, gaussian_window_1d
from .base_frame_metric import BaseFrameMetric


@METRICS.register_module()
class SSIM(BaseFrameMetric):
    """Structural similarity (Wang et al. 2004) of the ``T_out`` predicted
    frames.

    Reports ``ssim``: per frame and channel, the mean of the SSIM map over
    its 'valid' region (Gaussian window ``window_size x window_size`` with
    standard deviation ``sigma``, population statistics, no padding, so a
    border of ``(window_size - 1) / 2`` pixels is left out), with
    ``C1 = (k1 * data_range)**2`` and ``C2 = (k2 * data_range)**2``; the mean
    over channels gives the frame's SSIM, then the average over frames and
    sequences. With the defaults this matches
    ``skimage.metrics.structural_similarity(pred, gt, data_range=1.0,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``.
    Frames in ``[0, 1]`` need ``data_range=1.0`` (not 2).

    Reports the per-frame curve ``ssim_curve`` and, with
    ``baseline='copy_last'``, ``ssim_copy_last`` and ``ssim_copy_last_curve``.
    See :class:`BaseFrameMetric` for the averaging.

    Args:
        data_range (float): The range of the frame values, 1.0 for frames in
            ``[0, 1]``. Defaults to 1.0.
        window_size (int): Side of the Gaussian window, odd. Defaults to 11.
        sigma (float): Standard deviation of the Gaussian window. Defaults to
            1.5.
        k1 (float): Constant of the luminance term. Defaults to 0.01.
        k2 (float): Constant of the contrast-structure term. Defaults to 0.03.
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
                 window_size: int = 11,
                 sigma: float = 1.5,
                 k1: float = 0.01,
                 k2: float = 0.03,
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
                f'SSIM: data_range must be positive, got {data_range}.')
        # Fails now, with a clear message, on a bad window_size or sigma.
        gaussian_window_1d(window_size, sigma)
        self.data_range = data_range
        self.window_size = window_size
        self.sigma = sigma
        self.k1 = k1
        self.k2 = k2

    def frame_values(self, pred: torch.Tensor,
                     gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The SSIM of every frame."""
        return {
            'ssim':
            frame_ssim(
                pred,
                gt,
                data_range=self.data_range,
                window_size=self.window_size,
                sigma=self.sigma,
                k1=self.k1,
                k2=self.k2)
        }
