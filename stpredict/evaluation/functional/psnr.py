"""Peak signal-to-noise ratio of every frame."""
import math

import torch

from .frame_errors import frame_mse

#: Smallest normalised error ``mse / data_range**2`` of :func:`frame_psnr`; it
#: caps the PSNR of a perfect frame at ``10 * log10(1 / 1e-10) = 100`` dB.
PSNR_MIN_NORMALIZED_MSE = 1e-10
#: The PSNR of identical frames (dB).
PSNR_MAX_DB = 10.0 * math.log10(1.0 / PSNR_MIN_NORMALIZED_MSE)


def frame_psnr(pred: torch.Tensor,
               gt: torch.Tensor,
               data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio of every frame, in dB.

    ``PSNR = 10 * log10(data_range**2 / mse)`` where ``mse`` is the mean of the
    squared errors over the ``C * H * W`` values of one frame. Identical frames
    have ``mse = 0`` and an infinite PSNR, which would make any average
    infinite: ``mse / data_range**2`` is therefore clamped from below to
    ``1e-10``, which caps the PSNR at 100 dB (:data:`PSNR_MAX_DB`).

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        data_range (float): The range of the frame values (max - min
            possible), 1.0 for frames in ``[0, 1]``. Defaults to 1.0.

    Returns:
        torch.Tensor: One PSNR per frame, shape ``pred.shape[:-3]``.
    """
    if not data_range > 0:
        raise ValueError(f'data_range must be positive, got {data_range}.')
    mse = frame_mse(pred, gt, reduction='pixel_mean')
    normalized_mse = (mse / (data_range**2)).clamp(min=PSNR_MIN_NORMALIZED_MSE)
    return -10.0 * torch.log10(normalized_mse)
