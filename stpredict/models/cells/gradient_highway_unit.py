"""Gradient Highway Unit of PredRNN++ (Wang et al., ICML 2018)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from .norms import build_cell_norm


class GradientHighwayUnit(nn.Module):
    r"""Gradient Highway Unit (GHU), a gated shortcut through time.

    Wang, Gao, Long, Wang and Yu, "PredRNN++: Towards A Resolution of the
    Deep-in-Time Dilemma in Spatiotemporal Predictive Learning", ICML 2018
    (the gradient highway unit):

    .. math::
        P_t &= \tanh(W_{px} * X_t + W_{pz} * Z_{t-1}) \\
        S_t &= \sigma(W_{sx} * X_t + W_{sz} * Z_{t-1}) \\
        Z_t &= S_t \odot P_t + (1 - S_t) \odot Z_{t-1}

    The switch gate ``S`` lets ``Z`` carry its past unchanged, a short route
    for gradients from late outputs to early inputs. One fused convolution on
    ``[X_t, Z_{t-1}]`` gives ``P`` and ``S``. This is a module used by a cell
    (see :class:`CausalLSTMCell` with ``highway=True``), not a cell itself.

    Args:
        in_channels (int): Channels of ``X``.
        channels (int): Channels of ``Z`` (the output).
        kernel_size (int | tuple[int, int]): Kernel of the convolution; odd.
            Defaults to 5.
        bias (bool): Whether the convolution has a bias. Defaults to True.
        spatial_size (Sequence[int], optional): ``(H, W)``; needed only by
            ``norm='layer'``. Defaults to None.
        norm (str, optional): Normalisation of the ``2 * channels``
            pre-activations ``[P, S]``: None, ``'group'`` or ``'layer'``.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 bias: bool = True,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None) -> None:
        super().__init__()
        kernel = (kernel_size, kernel_size) if isinstance(
            kernel_size, int) else tuple(kernel_size)
        if any(k < 1 or k % 2 == 0 for k in kernel):
            raise ValueError('GradientHighwayUnit needs odd kernel sizes, '
                             f'got {kernel_size}.')
        self.channels = channels
        self.conv = nn.Conv2d(
            in_channels + channels,
            2 * channels,
            kernel,
            padding=(kernel[0] // 2, kernel[1] // 2),
            bias=bias)
        # the norm acts on the 2 * channels pre-activations of P and S
        self.norm = build_cell_norm(norm, 2 * channels, spatial_size)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """One step.

        Args:
            x (torch.Tensor): ``X_t`` ``[B, in_channels, H, W]``.
            z (torch.Tensor): ``Z_{t-1}`` ``[B, channels, H, W]``.

        Returns:
            torch.Tensor: ``Z_t`` ``[B, channels, H, W]``.
        """
        pre = self.conv(torch.cat([x, z], dim=1))
        if self.norm is not None:
            pre = self.norm(pre)
        p, s = torch.split(pre, self.channels, dim=1)
        switch = torch.sigmoid(s)
        return switch * torch.tanh(p) + (1 - switch) * z
