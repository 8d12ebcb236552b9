"""Structural similarity (SSIM) of every frame.

Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error
visibility to structural similarity", IEEE TIP 2004.
"""
from typing import Optional

import torch
import torch.nn.functional as F

from .validation import check_frame_pair, common_float_dtype


def gaussian_window_1d(window_size: int = 11,
                       sigma: float = 1.5,
                       dtype: torch.dtype = torch.float32,
                       device: Optional[torch.device] = None) -> torch.Tensor:
    """A normalised 1-D Gaussian window.

    Args:
        window_size (int): Number of taps, odd. Defaults to 11.
        sigma (float): Standard deviation in pixels. Defaults to 1.5.
        dtype (torch.dtype): dtype of the window. Defaults to torch.float32.
        device (torch.device, optional): Device of the window. Defaults to
            None (the default device).

    Returns:
        torch.Tensor: ``[window_size]`` weights ``exp(-x**2 / (2 sigma**2))``
        at the offsets ``x = -(window_size - 1) / 2, ..., (window_size - 1)
        / 2``, divided by their sum.
    """
    if not isinstance(window_size, int) or window_size < 1 or \
            window_size % 2 == 0:
        raise ValueError('window_size must be a positive odd integer, got '
                         f'{window_size!r}.')
    if not sigma > 0:
        raise ValueError(f'sigma must be positive, got {sigma}.')
    half = (window_size - 1) // 2
    offsets = torch.arange(-half, half + 1, dtype=dtype, device=device)
    weights = torch.exp(-offsets.square() / (2.0 * sigma**2))
    return weights / weights.sum()


def _filter_valid(images: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Gaussian-filter ``[N, H, W]`` images, keeping the 'valid' region.

    The 2-D Gaussian is separable: one horizontal and one vertical 1-D
    convolution, no padding, so the output is ``[N, H - w + 1, W - w + 1]``.
    The images are the channels of one depthwise convolution (``groups=N``),
    which is the fastest layout on CPU for float32 and float64.
    """
    num_images, height, width = images.shape
    size = window.numel()
    channels = images.reshape(1, num_images, height, width)
    horizontal = window.view(1, 1, 1, size).expand(num_images, 1, 1, size)
    vertical = window.view(1, 1, size, 1).expand(num_images, 1, size, 1)
    filtered = F.conv2d(channels, horizontal, groups=num_images)
    filtered = F.conv2d(filtered, vertical, groups=num_images)
    return filtered.reshape(num_images, height - size + 1, width - size + 1)


def frame_ssim(pred: torch.Tensor,
               gt: torch.Tensor,
               data_range: float = 1.0,
               window_size: int = 11,
               sigma: float = 1.5,
               k1: float = 0.01,
               k2: float = 0.03) -> torch.Tensor:
    """Structural similarity of every frame (Wang et al. 2004).

    For each frame and channel, the local means ``mu``, variances ``s**2``
    and covariance ``s_xy`` are Gaussian-weighted averages (window
    ``window_size x window_size``, standard deviation ``sigma``; population
    statistics, i.e. normalised by the sum of the weights, 1). The SSIM map is

    ``((2 mu_x mu_y + C1) (2 s_xy + C2)) /
    ((mu_x**2 + mu_y**2 + C1) (s_x**2 + s_y**2 + C2))``

    with ``C1 = (k1 * data_range)**2`` and ``C2 = (k2 * data_range)**2``. The
    map is evaluated on the 'valid' region only: the centres whose window lies
    fully inside the frame (no padding), i.e. a border of
    ``(window_size - 1) / 2`` pixels is left out. Its mean is the SSIM of the
    channel; the SSIM of a frame is the mean over its channels. The
    (co)variances are computed on images centred on their own means (they do
    not change under such shifts), which keeps float32 inputs accurate to
    about 1e-7. With the defaults this equals scikit-image's
    ``structural_similarity(..., data_range=1.0, gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False)``.

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        data_range (float): The range of the frame values, 1.0 for frames in
            ``[0, 1]``. Defaults to 1.0.
        window_size (int): Side of the Gaussian window, odd. Defaults to 11.
        sigma (float): Standard deviation of the Gaussian window. Defaults to
            1.5.
        k1 (float): Constant of the luminance term. Defaults to 0.01.
        k2 (float): Constant of the contrast-structure term. Defaults to 0.03.

    Returns:
        torch.Tensor: One SSIM per frame, shape ``pred.shape[:-3]``, computed
        in float32 (float64 if an input is float64).

    Raises:
        ValueError: If the frames are smaller than the window, or on
            invalid arguments.
    """
    check_frame_pair(pred, gt)
    if not data_range > 0:
        raise ValueError(f'data_range must be positive, got {data_range}.')
    dtype = common_float_dtype(pred, gt)
    window = gaussian_window_1d(window_size, sigma, dtype, pred.device)
    height, width = pred.shape[-2:]
    if height < window_size or width < window_size:
        raise ValueError(
            f'SSIM needs frames at least as large as its {window_size}x'
            f'{window_size} window, got frames of {height}x{width}. Use a '
            'smaller window_size (odd) or larger frames.')

    batch_shape = pred.shape[:-3]
    channels = pred.shape[-3]
    x = pred.to(dtype).reshape(-1, height, width)
    y = gt.to(dtype).reshape(-1, height, width)
    num_images = x.shape[0]
    # (Co)variances do not change when each image is shifted by a constant;
    # centring on the image means first keeps E[x^2] - E[x]^2 from losing
    # precision to cancellation (in float32 especially).
    shift_x = x.mean(dim=(-2, -1), keepdim=True)
    shift_y = y.mean(dim=(-2, -1), keepdim=True)
    x = x - shift_x
    y = y - shift_y
    # One filtering pass over the five maps the statistics need.
    moments = _filter_valid(
        torch.cat([x, y, x * x, y * y, x * y], dim=0), window)
    mu_x, mu_y, mean_xx, mean_yy, mean_xy = moments.split(num_images, dim=0)
    var_x = mean_xx - mu_x * mu_x
    var_y = mean_yy - mu_y * mu_y
    cov_xy = mean_xy - mu_x * mu_y
    mu_x = mu_x + shift_x
    mu_y = mu_y + shift_y
    c1 = (k1 * data_range)**2
    c2 = (k2 * data_range)**2
    ssim_map = ((2.0 * mu_x * mu_y + c1) * (2.0 * cov_xy + c2)) / (
        (mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))
    per_channel = ssim_map.mean(dim=(-2, -1))
    return per_channel.reshape(*batch_shape, channels).mean(dim=-1)
