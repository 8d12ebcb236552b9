"""Balanced MSE and MAE (B-MSE, B-MAE) of Shi et al. 2017.

Shi, Gao, Lausen, Wang, Yeung, Wong and Woo, "Deep learning for precipitation
nowcasting: a benchmark and a new model", NeurIPS 2017.

Heavy rain is rare but matters most, so every pixel's error is weighted by
the rain-rate bin of its **true** value:

============  =====  =====  =====  ======  =======  ======
rain rate R   < 0.5  < 2    < 5    < 10    < 30     >= 30
weight w      1      1      2      5       10       30
============  =====  =====  =====  ======  =======  ======

(mm/h; a rate equal to a bin edge falls in the upper bin). The error itself is
measured on the frame values (``[0, 1]``), as in the HKO-7 benchmark; only the
weights come from the physical rain rate (see :class:`PixelConverter`).
"""
from typing import Sequence

import torch

from .frame_errors import _reduce_frame
from .validation import check_frame_pair, common_float_dtype

#: Rain-rate bin edges (mm/h) of the balancing weights (Shi et al. 2017).
BALANCING_BIN_EDGES = (0.5, 2.0, 5.0, 10.0, 30.0)
#: Weight of each rain-rate bin, one more than the edges (Shi et al. 2017).
BALANCING_BIN_WEIGHTS = (1.0, 1.0, 2.0, 5.0, 10.0, 30.0)


def check_balancing_bins(bin_edges: Sequence[float],
                         bin_weights: Sequence[float]) -> None:
    """Check that bin edges and weights describe a valid weighting.

    Args:
        bin_edges (Sequence[float]): Strictly increasing bin edges.
        bin_weights (Sequence[float]): Non-negative weights, one more than
            the edges (the bin below the first edge comes first).

    Raises:
        ValueError: If the edges are not strictly increasing, a weight is
            negative, or the lengths do not match.
    """
    edges = [float(edge) for edge in bin_edges]
    weights = [float(weight) for weight in bin_weights]
    if len(weights) != len(edges) + 1:
        raise ValueError(
            'bin_weights needs one weight per bin, i.e. one more than the '
            f'bin_edges: got {len(edges)} edges {tuple(edges)} and '
            f'{len(weights)} weights {tuple(weights)}.')
    if any(low >= high for low, high in zip(edges, edges[1:])):
        raise ValueError(
            f'bin_edges must be strictly increasing, got {tuple(edges)}.')
    if any(not weight >= 0 for weight in weights):
        raise ValueError(
            f'bin_weights must be non-negative, got {tuple(weights)}.')


def balancing_weights(
        rain_rate: torch.Tensor,
        bin_edges: Sequence[float] = BALANCING_BIN_EDGES,
        bin_weights: Sequence[float] = BALANCING_BIN_WEIGHTS) -> torch.Tensor:
    """The weight of every pixel from its rain-rate bin.

    Args:
        rain_rate (torch.Tensor): Rain rates (mm/h), any shape.
        bin_edges (Sequence[float]): Strictly increasing bin edges. Defaults
            to ``(0.5, 2, 5, 10, 30)``.
        bin_weights (Sequence[float]): One weight per bin (one more than the
            edges). Defaults to ``(1, 1, 2, 5, 10, 30)``.

    Returns:
        torch.Tensor: The weights, same shape as ``rain_rate``, in its float
        dtype (at least float32). A rate equal to an edge gets the weight of
        the bin above it.
    """
    check_balancing_bins(bin_edges, bin_weights)
    dtype = torch.promote_types(rain_rate.dtype, torch.float32)
    rain_rate = rain_rate.to(dtype)
    edges = torch.tensor([float(edge) for edge in bin_edges],
                         dtype=dtype,
                         device=rain_rate.device)
    weights = torch.tensor([float(weight) for weight in bin_weights],
                           dtype=dtype,
                           device=rain_rate.device)
    # right=True: edges[i - 1] <= rate < edges[i] gives bin i.
    return weights[torch.bucketize(rain_rate, edges, right=True)]


def _check_weights(gt: torch.Tensor, weights: torch.Tensor) -> None:
    if not isinstance(weights, torch.Tensor) or weights.shape != gt.shape:
        shape = tuple(weights.shape) if isinstance(
            weights, torch.Tensor) else type(weights).__name__
        raise ValueError(
            'weights must be a tensor of the same shape as the frames '
            f'{tuple(gt.shape)}, got {shape}. Compute them with '
            'balancing_weights(rain_rate_of_gt).')


def frame_balanced_mse(pred: torch.Tensor,
                       gt: torch.Tensor,
                       weights: torch.Tensor,
                       reduction: str = 'frame_sum') -> torch.Tensor:
    """Balanced mean squared error of every frame.

    ``sum over C * H * W of weights * (pred - gt)**2`` per frame
    (``'frame_sum'``, as in Shi et al. 2017), or that sum divided by
    ``C * H * W`` (``'pixel_mean'``; not divided by the sum of the weights).

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        weights (torch.Tensor): Per-pixel weights, same shape as ``gt``
            (see :func:`balancing_weights`).
        reduction (str): ``'frame_sum'`` or ``'pixel_mean'``. Defaults to
            ``'frame_sum'``.

    Returns:
        torch.Tensor: One value per frame, shape ``pred.shape[:-3]``.
    """
    check_frame_pair(pred, gt)
    _check_weights(gt, weights)
    dtype = common_float_dtype(pred, gt)
    errors = (pred.to(dtype) - gt.to(dtype)).square() * weights.to(dtype)
    return _reduce_frame(errors, reduction)


def frame_balanced_mae(pred: torch.Tensor,
                       gt: torch.Tensor,
                       weights: torch.Tensor,
                       reduction: str = 'frame_sum') -> torch.Tensor:
    """Balanced mean absolute error of every frame.

    ``sum over C * H * W of weights * |pred - gt|`` per frame
    (``'frame_sum'``), or that sum divided by ``C * H * W``
    (``'pixel_mean'``).

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        weights (torch.Tensor): Per-pixel weights, same shape as ``gt``.
        reduction (str): ``'frame_sum'`` or ``'pixel_mean'``. Defaults to
            ``'frame_sum'``.

    Returns:
        torch.Tensor: One value per frame, shape ``pred.shape[:-3]``.
    """
    check_frame_pair(pred, gt)
    _check_weights(gt, weights)
    dtype = common_float_dtype(pred, gt)
    errors = (pred.to(dtype) - gt.to(dtype)).abs() * weights.to(dtype)
    return _reduce_frame(errors, reduction)
