"""Input checks shared by the frame metric functions."""
import torch


def check_frame_pair(pred: torch.Tensor, gt: torch.Tensor) -> None:
    """Check that a predicted and a true batch of frames can be compared.

    Both must be floating point tensors of the same shape ``[..., C, H, W]``
    (at least three dimensions) on the same device.

    Args:
        pred (torch.Tensor): Predicted frames ``[..., C, H, W]``.
        gt (torch.Tensor): True frames, same shape as ``pred``.

    Raises:
        TypeError: If an input is not a floating point tensor.
        ValueError: If the shapes differ, have fewer than three dimensions,
            or the tensors are on different devices.
    """
    for name, frames in (('pred', pred), ('gt', gt)):
        if not isinstance(frames, torch.Tensor):
            raise TypeError(f'{name} must be a torch.Tensor of frames '
                            f'[..., C, H, W], got {type(frames).__name__}.')
        if not frames.is_floating_point():
            raise TypeError(
                f'{name} must be a floating point tensor with values in '
                f'[0, data_range], got dtype {frames.dtype}. Convert the '
                'frames with .float() (and scale uint8 frames by 1/255).')
    if pred.shape != gt.shape:
        raise ValueError(
            'pred and gt must have the same shape [..., C, H, W], got pred '
            f'{tuple(pred.shape)} and gt {tuple(gt.shape)}.')
    if pred.dim() < 3:
        raise ValueError(
            'frames must have at least three dimensions [..., C, H, W], got '
            f'shape {tuple(pred.shape)}.')
    if pred.device != gt.device:
        raise ValueError(
            f'pred and gt must be on the same device, got pred on '
            f'{pred.device} and gt on {gt.device}.')


def common_float_dtype(pred: torch.Tensor, gt: torch.Tensor) -> torch.dtype:
    """The dtype to compute in: the wider of the two, at least float32.

    Args:
        pred (torch.Tensor): Predicted frames.
        gt (torch.Tensor): True frames.

    Returns:
        torch.dtype: ``torch.float64`` if either input is float64, else
        ``torch.float32`` (half precision inputs are upcast).
    """
    dtype = torch.promote_types(pred.dtype, gt.dtype)
    return torch.promote_types(dtype, torch.float32)
