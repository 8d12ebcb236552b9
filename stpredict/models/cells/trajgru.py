"""Trajectory GRU (Shi et al., NeurIPS 2017)."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from stpredict.registry import CELLS
from ..layers import flow_warp
from .base import BaseCell, CellOutput, States

ACTIVATIONS = ('leaky_relu', 'tanh')


@CELLS.register_module()
class TrajGRUCell(BaseCell):
    r"""Trajectory GRU: a ConvGRU whose recurrent links follow learned flows.

    Shi, Gao, Lausen, Wang, Yeung, Wong and Woo, "Deep Learning for
    Precipitation Nowcasting: A Benchmark and A New Model", NeurIPS 2017
    (Sec. 3.2).

    Instead of a fixed convolution on ``H_{t-1}``, every pixel gathers the
    previous hidden state from ``L`` locations given by flow fields that a
    small network ``gamma`` generates from ``X_t`` and ``H_{t-1}``:

    .. math::
        U_t, V_t &= \gamma(X_t, H_{t-1}) \\
        Z_t &= \sigma(W_{xz} * X_t + \textstyle\sum_{l=1}^{L} W^l_{hz} *
               \mathrm{warp}(H_{t-1}, U_{t,l}, V_{t,l})) \\
        R_t &= \sigma(W_{xr} * X_t + \textstyle\sum_l W^l_{hr} *
               \mathrm{warp}(H_{t-1}, U_{t,l}, V_{t,l})) \\
        H'_t &= f(W_{xh} * X_t + R_t \odot (\textstyle\sum_l W^l_{hh} *
                \mathrm{warp}(H_{t-1}, U_{t,l}, V_{t,l}))) \\
        H_t &= (1 - Z_t) \odot H'_t + Z_t \odot H_{t-1}

    ``W^l_h`` are 1x1 convolutions, so the sums over links are one 1x1
    convolution (``link_conv``) on the ``L`` warped maps stacked along the
    channels. ``gamma`` is a one-hidden-layer CNN: ``flow_hidden_conv`` on
    ``[X_t, H_{t-1}]`` (32 maps, 5x5, the paper's ``W * X + W * H`` fused
    into one convolution), a leaky ReLU (slope 0.2), then ``flow_conv``
    (5x5) to the ``2L`` flow channels ``(u_1, v_1, ..., u_L, v_L)``.
    ``input_conv`` gives the three ``X`` terms at once. ``f`` is a leaky
    ReLU with slope 0.2 (the paper's choice); ``'tanh'`` is an option. The
    warp samples ``H_{t-1}`` at ``p + (u, v)`` bilinearly with zeros
    outside (see :func:`stpredict.models.layers.flow_warp`).

    With ``hidden_channels=64``, ``kernel_size=3`` and ``num_links=10`` (the
    MS-RNN authors' setting) the 6-layer MS-RNN-setting model on TaxiBJ
    has 2,114,170 parameters, the 2.11M of MS-RNN Table 6. Notes on the
    MS-RNN authors' code: it samples at ``p - flow`` (a sign the flow
    network absorbs) and maps pixels to grid coordinates with
    ``2p / (W - 1) - 1`` under ``align_corners=False``, a half-pixel
    misalignment; this cell samples exactly at ``p + flow``.

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H``.
        kernel_size (int | tuple[int, int]): Kernel of the input-to-gates
            convolution ``W_x``. Defaults to 3.
        num_links (int): Number of links ``L`` (flow fields). Defaults to 13
            (TrajGRU's first layer on HKO-7; MS-RNN uses 10).
        flow_channels (int): Hidden maps of the flow network. Defaults to 32.
        flow_kernel_size (int): Kernel of both flow-network convolutions.
            Defaults to 5.
        activation (str): ``f``: ``'leaky_relu'`` (slope 0.2) or
            ``'tanh'``. The flow network always uses the leaky ReLU.
            Defaults to ``'leaky_relu'``.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', )

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='trajgru', name='TrajGRU', year=2017,
        paper='Shi et al., NeurIPS 2017', msrnn_params=2.11)

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 3,
                 num_links: int = 13,
                 flow_channels: int = 32,
                 flow_kernel_size: int = 5,
                 activation: str = 'leaky_relu',
                 bias: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        if num_links < 1 or flow_channels < 1:
            raise ValueError(
                'TrajGRUCell needs num_links >= 1 and flow_channels >= 1, '
                f'got {num_links} and {flow_channels}.')
        if flow_kernel_size < 1 or flow_kernel_size % 2 == 0:
            raise ValueError('TrajGRUCell needs an odd flow_kernel_size, got '
                             f'{flow_kernel_size}.')
        if activation not in ACTIVATIONS:
            raise ValueError(f'Unknown TrajGRU activation {activation!r}; '
                             f'choose one of {ACTIVATIONS}.')
        self.num_links = num_links
        self.activation = activation
        hidden = hidden_channels
        self.input_conv = nn.Conv2d(
            in_channels,
            3 * hidden,
            self.kernel_size,
            padding=self.padding,
            bias=bias)
        flow_padding = flow_kernel_size // 2
        self.flow_hidden_conv = nn.Conv2d(
            in_channels + hidden,
            flow_channels,
            flow_kernel_size,
            padding=flow_padding,
            bias=bias)
        self.flow_conv = nn.Conv2d(
            flow_channels,
            2 * num_links,
            flow_kernel_size,
            padding=flow_padding,
            bias=bias)
        self.link_conv = nn.Conv2d(
            num_links * hidden, 3 * hidden, 1, bias=bias)

    def act(self, x: torch.Tensor) -> torch.Tensor:
        """The activation ``f``."""
        if self.activation == 'tanh':
            return torch.tanh(x)
        return F.leaky_relu(x, negative_slope=0.2)

    def flows(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """The flow fields ``gamma(X_t, H_{t-1})``.

        Args:
            x (torch.Tensor): Input ``[B, in_channels, H, W]``.
            h (torch.Tensor): Hidden state ``[B, hidden_channels, H, W]``.

        Returns:
            torch.Tensor: ``[B, L, 2, H, W]``: per link ``(u, v)`` in pixels.
        """
        hidden = F.leaky_relu(
            self.flow_hidden_conv(torch.cat([x, h], dim=1)), 0.2)
        flow = self.flow_conv(hidden)
        batch, _, height, width = flow.shape
        return flow.view(batch, self.num_links, 2, height, width)

    def warp_links(self, h: torch.Tensor, flows: torch.Tensor) -> torch.Tensor:
        """Warp ``h`` along every link, stacked along the channels.

        Args:
            h (torch.Tensor): ``[B, C, H, W]``.
            flows (torch.Tensor): ``[B, L, 2, H, W]``.

        Returns:
            torch.Tensor: ``[B, L * C, H, W]`` (link-major).
        """
        batch, links, _, height, width = flows.shape
        channels = h.shape[1]
        # all links in one grid_sample: repeat h per link along the batch
        h_rep = h.unsqueeze(1).expand(batch, links, channels, height,
                                      width).reshape(batch * links, channels,
                                                     height, width)
        warped = flow_warp(h_rep,
                           flows.reshape(batch * links, 2, height, width))
        return warped.view(batch, links * channels, height, width)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`."""
        h = states['h']
        hidden = self.hidden_channels
        x_z, x_r, x_h = torch.split(self.input_conv(x), hidden, dim=1)
        warped = self.warp_links(h, self.flows(x, h))
        h_z, h_r, h_h = torch.split(self.link_conv(warped), hidden, dim=1)
        z = torch.sigmoid(x_z + h_z)
        r = torch.sigmoid(x_r + h_r)
        h_candidate = self.act(x_h + r * h_h)
        h_new = (1 - z) * h_candidate + z * h
        return dict(h=h_new), memory, {}
