"""Metrics of stpredict (registry ``METRICS``)."""
from .balanced_errors import BMAE, BMSE, BaseBalancedError
from .base_frame_metric import (FRAME_BASELINES, FRAME_REDUCTION_SUFFIXES,
                                BaseFrameMetric)
from .contingency_scores import CSI, FAR, HSS, POD, ContingencyScores
from .gdl import GDL
from .mae import MAE
from .mse import MSE
from .psnr import PSNR
from .reduced_frame_metric import ReducedFrameMetric
from .ssim import SSIM

__all__ = [
    'BaseFrameMetric', 'ReducedFrameMetric', 'FRAME_BASELINES',
    'FRAME_REDUCTION_SUFFIXES', 'MSE', 'MAE', 'PSNR', 'SSIM', 'GDL',
    'ContingencyScores', 'CSI', 'HSS', 'POD', 'FAR', 'BaseBalancedError',
    'BMSE', 'BMAE'
]
