"""Losses between predicted and true frames."""
import torch
import torch.nn as nn

from stpredict.registry import MODELS

ERRORS = ('l2', 'l1', 'l1+l2')
REDUCTIONS = ('frame_sum', 'pixel_mean')


@MODELS.register_module()
class FrameLoss(nn.Module):
    """Pixel error between predicted and true frames.

    Conventions:

    - ``reduction='frame_sum'``: the error is summed over the ``C * H * W``
      elements of each frame and averaged over frames and sequences, as in
      PredRNN, TMU (Eq. 6) and MS-RNN.
    - ``reduction='pixel_mean'``: the error is averaged over every element
      (``torch.nn.MSELoss``'s convention, used by OpenSTL).

    Space-to-depth patching only rearranges elements, so both reductions give
    the same value on patched and un-patched frames.

    Args:
        error (str): ``'l2'`` (squared error), ``'l1'`` (absolute error) or
            ``'l1+l2'`` (their sum, MS-RNN). Defaults to ``'l2'``.
        reduction (str): ``'frame_sum'`` or ``'pixel_mean'``. Defaults to
            ``'frame_sum'``.
        loss_weight (float): Factor on the loss. Defaults to 1.0.
    """

    def __init__(self,
                 error: str = 'l2',
                 reduction: str = 'frame_sum',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if error not in ERRORS:
            raise ValueError(f'FrameLoss error must be one of {ERRORS}, got '
                             f'{error!r}.')
        if reduction not in REDUCTIONS:
            raise ValueError(f'FrameLoss reduction must be one of '
                             f'{REDUCTIONS}, got {reduction!r}.')
        self.error = error
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            pred (torch.Tensor): Predicted frames ``[B, T, C, H, W]``.
            target (torch.Tensor): True frames of the same shape.

        Returns:
            torch.Tensor: The scalar loss (float32 even under autocast).
        """
        if pred.shape != target.shape:
            raise ValueError(
                f'FrameLoss got predictions of shape {tuple(pred.shape)} and '
                f'targets of shape {tuple(target.shape)}; they must match.')
        diff = pred.float() - target.float()
        if self.error == 'l2':
            err = diff.square()
        elif self.error == 'l1':
            err = diff.abs()
        else:
            err = diff.square() + diff.abs()
        if self.reduction == 'frame_sum':
            loss = err.flatten(2).sum(dim=2).mean()
        else:
            loss = err.mean()
        return self.loss_weight * loss
