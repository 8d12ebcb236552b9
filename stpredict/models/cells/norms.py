"""Normalisation layers that recurrent cells apply to gate pre-activations."""
from typing import Optional, Sequence

import torch
import torch.nn as nn

NORM_TYPES = (None, 'group', 'layer')


def build_cell_norm(norm: Optional[str], channels: int,
                    spatial_size: Optional[Sequence[int]] = None
                    ) -> Optional[nn.Module]:
    """Build the normalisation a cell applies to its gate pre-activations.

    Args:
        norm (str, optional): ``None`` (no normalisation), ``'group'``
            (``GroupNorm`` with one group: normalises over ``C, H, W`` with a
            per-channel affine, works at any frame size) or ``'layer'``
            (``LayerNorm([C, H, W])`` with a per-element affine as in
            PredRNN; needs ``spatial_size``).
        channels (int): Channels of the normalised tensor.
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale; required by ``'layer'``. Defaults to None.

    Returns:
        nn.Module | None: The layer, or None for no normalisation.
    """
    if norm is None:
        return None
    if norm == 'group':
        return nn.GroupNorm(1, channels)
    if norm == 'layer':
        if spatial_size is None:
            raise ValueError(
                "norm='layer' normalises over [C, H, W] with a per-element "
                'affine, so the cell must know its frame size: set '
                "spatial_size=(H, W) at the cell's scale, or use "
                "norm='group', which works at any size.")
        height, width = spatial_size
        return SpatialLayerNorm(channels, (int(height), int(width)))
    raise ValueError(
        f'Unknown cell norm {norm!r}; choose one of {NORM_TYPES}.')


def apply_norm(norm: Optional[nn.Module], x: torch.Tensor) -> torch.Tensor:
    """Apply an optional normalisation (a no-op when ``norm`` is None).

    Args:
        norm (nn.Module, optional): A layer from :func:`build_cell_norm`.
        x (torch.Tensor): The tensor to normalise.

    Returns:
        torch.Tensor: ``norm(x)``, or ``x`` unchanged.
    """
    return x if norm is None else norm(x)


class SpatialLayerNorm(nn.LayerNorm):
    """LayerNorm over ``[C, H, W]`` that names the size it was built for.

    Args:
        channels (int): Channels ``C``.
        spatial_size (tuple[int, int]): ``(H, W)``.
    """

    def __init__(self, channels: int, spatial_size: Sequence[int]) -> None:
        super().__init__([channels, *spatial_size])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-3:]) != tuple(self.normalized_shape):
            raise ValueError(
                f'This cell was built with norm="layer" for maps of shape '
                f'{tuple(self.normalized_shape)} [C, H, W] but got '
                f'{tuple(x.shape[-3:])}. Fix: set spatial_size to the '
                "cell's input size (frame size / patch size / scale), or use "
                "norm='group'.")
        return super().forward(x)
