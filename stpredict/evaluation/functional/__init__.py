"""Pure torch functions that score predicted frames against true ones.

Every function takes ``[..., C, H, W]`` tensors and returns one value per
frame, shape ``[...]``.
"""
from .frame_errors import (FRAME_REDUCTIONS, frame_mae, frame_mse,
                           normalize_reductions)
from .psnr import PSNR_MAX_DB, PSNR_MIN_NORMALIZED_MSE, frame_psnr
from .ssim import frame_ssim, gaussian_window_1d
from .validation import check_frame_pair

__all__ = [
    'FRAME_REDUCTIONS', 'normalize_reductions', 'frame_mse', 'frame_mae',
    'PSNR_MAX_DB', 'PSNR_MIN_NORMALIZED_MSE', 'frame_psnr', 'frame_ssim',
    'gaussian_window_1d', 'check_frame_pair'
]
