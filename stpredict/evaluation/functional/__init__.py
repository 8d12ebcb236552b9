"""Pure torch functions that score predicted frames against true ones.

Every frame function takes ``[..., C, H, W]`` tensors and returns one value per
frame, shape ``[...]``. ``radar_conversion`` maps frame values to physical
units (dBZ, mm/h) for the nowcasting metrics, the datasets and the
visualisation.
"""
from .balanced_errors import (BALANCING_BIN_EDGES, BALANCING_BIN_WEIGHTS,
                              balancing_weights, check_balancing_bins,
                              frame_balanced_mae, frame_balanced_mse)
from .contingency import (CONTINGENCY_COUNTS, CONTINGENCY_SCORES,
                          contingency_counts, contingency_scores,
                          csi_from_counts, far_from_counts, hss_from_counts,
                          pod_from_counts)
from .frame_errors import (FRAME_REDUCTIONS, frame_mae, frame_mse,
                           normalize_reductions)
from .gdl import frame_gdl
from .psnr import PSNR_MAX_DB, PSNR_MIN_NORMALIZED_MSE, frame_psnr
from .radar_conversion import (MARSHALL_PALMER, PIXEL_TO_VALUE_TYPES,
                               VALUE_KEY_SUFFIXES, VALUE_UNITS, PixelConverter,
                               dbz_to_rain_rate, dbz_to_reflectivity,
                               rain_rate_to_dbz, reflectivity_to_dbz)
from .ssim import frame_ssim, gaussian_window_1d
from .validation import check_frame_pair

__all__ = [
    'FRAME_REDUCTIONS', 'normalize_reductions', 'frame_mse', 'frame_mae',
    'PSNR_MAX_DB', 'PSNR_MIN_NORMALIZED_MSE', 'frame_psnr', 'frame_ssim',
    'gaussian_window_1d', 'check_frame_pair', 'frame_gdl',
    'CONTINGENCY_COUNTS', 'CONTINGENCY_SCORES', 'contingency_counts',
    'contingency_scores', 'csi_from_counts', 'hss_from_counts',
    'pod_from_counts', 'far_from_counts', 'BALANCING_BIN_EDGES',
    'BALANCING_BIN_WEIGHTS', 'balancing_weights', 'check_balancing_bins',
    'frame_balanced_mse', 'frame_balanced_mae', 'MARSHALL_PALMER',
    'PIXEL_TO_VALUE_TYPES', 'VALUE_UNITS', 'VALUE_KEY_SUFFIXES',
    'PixelConverter', 'dbz_to_reflectivity', 'reflectivity_to_dbz',
    'dbz_to_rain_rate', 'rain_rate_to_dbz'
]
