"""Per-frame squared and absolute errors (MSE and MAE).

Two conventions are used in the spatiotemporal prediction literature, both in
the units of the frames (``[0, 1]`` for stpredict):

- ``'frame_sum'``: the error of one frame is the **sum** over its ``C * H * W``
  values ("MSE per frame" of the PredRNN and TMU tables);
- ``'pixel_mean'``: the error of one frame is the **mean** over its
  ``C * H * W`` values ("per pixel", common in radar nowcasting tables).
"""
from typing import Sequence, Tuple, Union

import torch

from .validation import check_frame_pair, common_float_dtype

#: The reductions over the ``C * H * W`` values of one frame.
FRAME_REDUCTIONS = ('frame_sum', 'pixel_mean')


def normalize_reductions(
        reduction: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Turn one reduction or several into a tuple of valid reduction names.

    Args:
        reduction (str | Sequence[str]): ``'frame_sum'``, ``'pixel_mean'`` or
            a sequence of them. Repeated names are kept once, in order.

    Returns:
        tuple[str]: The reductions, at least one.

    Raises:
        ValueError: If a name is unknown or the sequence is empty.
    """
    names = (reduction, ) if isinstance(reduction, str) else tuple(reduction)
    if not names:
        raise ValueError('reduction must name at least one of '
                         f'{FRAME_REDUCTIONS}, got an empty sequence.')
    for name in names:
        if name not in FRAME_REDUCTIONS:
            raise ValueError(f'reduction must be one of {FRAME_REDUCTIONS} '
                             f'(or a tuple of them), got {name!r}.')
    return tuple(dict.fromkeys(names))


def _reduce_frame(errors: torch.Tensor, reduction: str) -> torch.Tensor:
    """Reduce ``[..., C, H, W]`` element errors to one value per frame."""
    if reduction not in FRAME_REDUCTIONS:
        raise ValueError(f'reduction must be one of {FRAME_REDUCTIONS}, got '
                         f'{reduction!r}.')
    if reduction == 'frame_sum':
        return errors.sum(dim=(-3, -2, -1))
    return errors.mean(dim=(-3, -2, -1))


def frame_mse(pred: torch.Tensor,
              gt: torch.Tensor,
              reduction: str = 'frame_sum') -> torch.Tensor:
    """Mean squared error of every frame.

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        reduction (str): ``'frame_sum'`` sums the squared errors over the
            ``C * H * W`` values of a frame, ``'pixel_mean'`` averages them.
            Defaults to ``'frame_sum'``.

    Returns:
        torch.Tensor: One value per frame, shape ``pred.shape[:-3]``, computed
        in float32 (float64 if an input is float64).
    """
    check_frame_pair(pred, gt)
    dtype = common_float_dtype(pred, gt)
    errors = (pred.to(dtype) - gt.to(dtype)).square()
    return _reduce_frame(errors, reduction)


def frame_mae(pred: torch.Tensor,
              gt: torch.Tensor,
              reduction: str = 'frame_sum') -> torch.Tensor:
    """Mean absolute error of every frame.

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.
        reduction (str): ``'frame_sum'`` sums the absolute errors over the
            ``C * H * W`` values of a frame, ``'pixel_mean'`` averages them.
            Defaults to ``'frame_sum'``.

    Returns:
        torch.Tensor: One value per frame, shape ``pred.shape[:-3]``, computed
        in float32 (float64 if an input is float64).
    """
    check_frame_pair(pred, gt)
    dtype = common_float_dtype(pred, gt)
    errors = (pred.to(dtype) - gt.to(dtype)).abs()
    return _reduce_frame(errors, reduction)
