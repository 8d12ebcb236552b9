"""Metrics of stpredict (registry ``METRICS``)."""
from .base_frame_metric import (FRAME_BASELINES, FRAME_REDUCTION_SUFFIXES,
                                BaseFrameMetric)
from .mae import MAE
from .mse import MSE
from .psnr import PSNR
from .ssim import SSIM

__all__ = [
    'BaseFrameMetric', 'FRAME_BASELINES', 'FRAME_REDUCTION_SUFFIXES', 'MSE',
    'MAE', 'PSNR', 'SSIM'
]
