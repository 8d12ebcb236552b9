"""Spatiotemporal LSTM, the cell of PredRNN (Wang et al., NeurIPS 2017)."""
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import apply_norm, build_cell_norm


class SpatioTemporalStep(NamedTuple):
    """Everything one ST-LSTM step computes.

    Attributes:
        h (torch.Tensor): Hidden state ``H^l_t`` (the layer's output).
        c (torch.Tensor): Temporal memory ``C^l_t``.
        m (torch.Tensor): Spatiotemporal memory ``M^l_t`` (goes up the
            zigzag).
        delta_c (torch.Tensor): Increment of the temporal memory
            ``i_t * g_t``.
        delta_m (torch.Tensor): Increment of the spatiotemporal memory
            ``i'_t * g'_t``.
    """
    h: torch.Tensor
    c: torch.Tensor
    m: torch.Tensor
    delta_c: torch.Tensor
    delta_m: torch.Tensor


@CELLS.register_module()
class SpatioTemporalLSTMCell(BaseCell):
    r"""Spatiotemporal LSTM (ST-LSTM), the cell of PredRNN.

    Wang, Long, Wang, Gao and Yu, "PredRNN: Recurrent Neural Networks for
    Predictive Learning using Spatiotemporal LSTMs", NeurIPS 2017.

    Besides the temporal memory ``C`` that every layer keeps over time, a
    spatiotemporal memory ``M`` zigzags through the network: up the layers
    within a step (layer ``l`` reads ``M^{l-1}_t``) and from the top layer to
    layer 0 at the next step (``uses_memory = True``).

    .. math::
        g_t &= \tanh(W_{xg} * X_t + W_{hg} * H^l_{t-1} + b_g) \\
        i_t &= \sigma(W_{xi} * X_t + W_{hi} * H^l_{t-1} + b_i) \\
        f_t &= \sigma(W_{xf} * X_t + W_{hf} * H^l_{t-1} + b_f) \\
        C^l_t &= f_t \odot C^l_{t-1} + i_t \odot g_t \\
        g'_t &= \tanh(W'_{xg} * X_t + W_{mg} * M^{l-1}_t + b'_g) \\
        i'_t &= \sigma(W'_{xi} * X_t + W_{mi} * M^{l-1}_t + b'_i) \\
        f'_t &= \sigma(W'_{xf} * X_t + W_{mf} * M^{l-1}_t + b'_f) \\
        M^l_t &= f'_t \odot M^{l-1}_t + i'_t \odot g'_t \\
        o_t &= \sigma(W_{xo} * X_t + W_{ho} * H^l_{t-1} + W_{co} * C^l_t
               + W_{mo} * M^l_t + b_o) \\
        H^l_t &= o_t \odot \tanh(W_{1\times1} * [C^l_t, M^l_t])

    Convolutions that read the same inputs are fused (same math, fewer and
    larger kernels):

    - ``temporal_conv`` on ``[X_t, H^l_{t-1}]`` gives ``i, f, g`` and the
      ``X, H`` part of ``o`` (``4 * hidden`` channels);
    - ``spatial_conv`` on ``[X_t, M^{l-1}_t]`` gives ``i', f', g'``
      (``3 * hidden``);
    - ``output_conv`` on ``[C^l_t, M^l_t]`` gives ``W_{co} * C + W_{mo} * M``;
    - ``fusion_conv`` is the 1x1 convolution on ``[C^l_t, M^l_t]``.

    Differences from the authors' code, offered as options: their code adds
    a constant ``forget_bias`` of 1 to both forget gates (the same function
    as a learnable ``b_f`` initialised one higher; default here too, set 0 for
    the MS-RNN code, which has none) and can apply ``LayerNorm([C, H, W])``
    after each gate convolution (``norm='layer'``; here the norm acts on each
    fused convolution's output, i.e. on the summed ``X`` and ``H`` terms).

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H``, ``C`` and ``M``.
        kernel_size (int | tuple[int, int]): Kernel of the gate
            convolutions. Defaults to 5 (PredRNN).
        bias (bool): Whether the convolutions have biases. Defaults to True.
        forget_bias (float): Constant added to both forget gates before the
            sigmoid. Defaults to 1.0 (PredRNN's code).
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale; needed only by ``norm='layer'``. Defaults to None.
        norm (str, optional): Normalisation of the gate convolutions'
            outputs: None, ``'group'`` or ``'layer'`` (see
            :func:`build_cell_norm`). Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c')
    uses_memory = True

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='predrnn', name='PredRNN', year=2017,
        paper='Wang et al., NeurIPS 2017', msrnn_params=3.59,
        msrnn_flops=(279.3, 122.3), msrnn_memory=(10.44, 6.13))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 bias: bool = True,
                 forget_bias: float = 1.0,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        hidden = hidden_channels
        self.forget_bias = forget_bias
        self.temporal_conv = nn.Conv2d(
            in_channels + hidden,
            4 * hidden,
            self.kernel_size,
            padding=self.padding,
            bias=bias)
        self.spatial_conv = nn.Conv2d(
            in_channels + hidden,
            3 * hidden,
            self.kernel_size,
            padding=self.padding,
            bias=bias)
        self.output_conv = nn.Conv2d(
            2 * hidden,
            hidden,
            self.kernel_size,
            padding=self.padding,
            bias=bias)
        self.fusion_conv = nn.Conv2d(2 * hidden, hidden, 1, bias=bias)
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.temporal_norm = build_cell_norm(norm, 4 * hidden, spatial_size)
        self.spatial_norm = build_cell_norm(norm, 3 * hidden, spatial_size)
        self.output_norm = build_cell_norm(norm, hidden, spatial_size)

    def step(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
             m: torch.Tensor) -> SpatioTemporalStep:
        """One step of the equations, with the memory increments.

        Args:
            x (torch.Tensor): Input ``X_t`` ``[B, in_channels, H, W]``.
            h (torch.Tensor): ``H^l_{t-1}`` ``[B, hidden, H, W]``.
            c (torch.Tensor): ``C^l_{t-1}`` ``[B, hidden, H, W]``.
            m (torch.Tensor): ``M^{l-1}_t`` ``[B, hidden, H, W]``.

        Returns:
            SpatioTemporalStep: ``H, C, M`` at ``t`` and the increments
            ``i * g`` and ``i' * g'``.
        """
        hidden = self.hidden_channels
        temporal = apply_norm(self.temporal_norm,
                              self.temporal_conv(torch.cat([x, h], dim=1)))
        i, f, g, o_xh = torch.split(temporal, hidden, dim=1)
        spatial = apply_norm(self.spatial_norm,
                             self.spatial_conv(torch.cat([x, m], dim=1)))
        i_m, f_m, g_m = torch.split(spatial, hidden, dim=1)

        delta_c = torch.sigmoid(i) * torch.tanh(g)
        c_new = torch.sigmoid(f + self.forget_bias) * c + delta_c
        delta_m = torch.sigmoid(i_m) * torch.tanh(g_m)
        m_new = torch.sigmoid(f_m + self.forget_bias) * m + delta_m

        memories = torch.cat([c_new, m_new], dim=1)
        o = torch.sigmoid(
            o_xh + apply_norm(self.output_norm, self.output_conv(memories)))
        h_new = o * torch.tanh(self.fusion_conv(memories))
        return SpatioTemporalStep(h_new, c_new, m_new, delta_c, delta_m)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        ``memory`` is ``M^{l-1}_t`` (zeros when None, e.g. for a cell used
        on its own); the returned memory is ``M^l_t``.
        """
        if memory is None:
            memory = self.init_memory(x)
        out = self.step(x, states['h'], states['c'], memory)
        return dict(h=out.h, c=out.c), out.m, {}
