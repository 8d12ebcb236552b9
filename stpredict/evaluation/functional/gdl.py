"""Gradient difference (GDL) of every frame.

Mathieu, Couprie and LeCun, "Deep multi-scale video prediction beyond mean
square error", ICLR 2016: the gradient difference loss, here used as a
metric of how well the edges of a predicted frame match the true ones.
"""
from numbers import Real

import torch

from .frame_errors import FRAME_REDUCTIONS
from .validation import check_frame_pair, common_float_dtype


def frame_gdl(pred: torch.Tensor,
              gt: torch.Tensor,
              alpha: float = 1.0,
              reduction: str = 'frame_sum') -> torch.Tensor:
    """Gradient difference of every frame (Mathieu et al. 2016).

    With the neighbour differences ``dx(Y)[i, j] = Y[i, j + 1] - Y[i, j]``
    (along the width) and ``dy(Y)[i, j] = Y[i + 1, j] - Y[i, j]`` (along the
    height), the value of a frame is

    ``sum | |dx(pred)| - |dx(gt)| |**alpha + sum | |dy(pred)| - |dy(gt)|
    |**alpha``

    over the ``C * H * (W - 1)`` horizontal and ``C * (H - 1) * W`` vertical
    differences (``'frame_sum'``), or that sum divided by the ``C * H * W``
    pixels of the frame (``'pixel_mean'``). No padding: differences that
    would leave the frame are not counted.

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        alpha (float): Exponent of the gradient differences, positive.
            Defaults to 1.0.
        reduction (str): ``'frame_sum'`` or ``'pixel_mean'``. Defaults to
            ``'frame_sum'``.

    Returns:
        torch.Tensor: One value per frame, shape ``pred.shape[:-3]``, computed
        in float32 (float64 if an input is float64).
    """
    check_frame_pair(pred, gt)
    valid = isinstance(alpha, Real) and not isinstance(alpha, bool)
    if not (valid and alpha > 0):
        raise ValueError(f'alpha must be a positive number, got {alpha!r}.')
    if reduction not in FRAME_REDUCTIONS:
        raise ValueError(f'reduction must be one of {FRAME_REDUCTIONS}, got '
                         f'{reduction!r}.')
    dtype = common_float_dtype(pred, gt)
    pred = pred.to(dtype)
    gt = gt.to(dtype)
    dims = (-3, -2, -1)
    total = torch.zeros(pred.shape[:-3], dtype=dtype, device=pred.device)
    for dim in (-1, -2):
        pred_grad = pred.diff(dim=dim).abs()
        gt_grad = gt.diff(dim=dim).abs()
        total = total + (pred_grad - gt_grad).abs().pow(alpha).sum(dim=dims)
    if reduction == 'pixel_mean':
        total = total / (pred.shape[-3] * pred.shape[-2] * pred.shape[-1])
    return total
