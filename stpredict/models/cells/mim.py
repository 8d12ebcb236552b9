"""Memory In Memory (Wang et al., CVPR 2019): the MIM block and its modules.

The MIM network stacks one ST-LSTM (layer 0, :class:`SpatioTemporalLSTMCell`
in ``spatiotemporal_lstm.py``) and MIM blocks (:class:`MIMCell`) above it;
configs give one cell config per layer. A MIM block replaces the forget gate
of the ST-LSTM's temporal memory ``C`` with two cascaded recurrent modules:

- MIM-N (:class:`MIMNonStationaryModule`) reads the difference of the hidden
  states of the layer below at ``t`` and ``t-1`` (the diagonal input) and
  keeps the non-stationary memory ``N``;
- MIM-S (:class:`MIMStationaryModule`) reads MIM-N's output and ``C_{t-1}``
  and keeps the stationary memory ``S``; its output ``T`` replaces
  ``f * C_{t-1}`` in the update of ``C``.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import build_cell_norm

Kernel = Union[int, Tuple[int, int]]


def _same_conv(in_channels: int, out_channels: int, kernel_size: Kernel,
               bias: bool) -> nn.Conv2d:
    """A stride-1 convolution that keeps the frame size (odd kernels)."""
    kernel = (kernel_size, kernel_size) if isinstance(
        kernel_size, int) else tuple(kernel_size)
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel,
        padding=(kernel[0] // 2, kernel[1] // 2),
        bias=bias)


class _NormedConv(nn.Module):
    """A gate convolution followed by the optional cell normalisation.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (all the gates it computes).
        kernel_size (int | tuple[int, int]): Odd kernel size.
        bias (bool): Whether the convolution has a bias.
        norm (str, optional): See :func:`build_cell_norm`.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``norm='layer'``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: Kernel, bias: bool, norm: Optional[str],
                 spatial_size: Optional[Sequence[int]]) -> None:
        super().__init__()
        self.conv = _same_conv(in_channels, out_channels, kernel_size, bias)
        self.norm = build_cell_norm(norm, out_channels, spatial_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out if self.norm is None else self.norm(out)


class MIMNonStationaryModule(nn.Module):
    r"""MIM-N: the non-stationary module of a MIM block.

    An LSTM whose input is the difference of two consecutive hidden states
    of the layer below, :math:`\Delta = H^{l-1}_t - H^{l-1}_{t-1}`, and
    whose memory is the non-stationary memory :math:`N`:

    .. math::
        i &= \sigma(W_{xi} * \Delta + W_{ni} * N_{t-1} + b_i) \\
        g &= \tanh(W_{xg} * \Delta + W_{ng} * N_{t-1} + b_g) \\
        f &= \sigma(W_{xf} * \Delta + W_{nf} * N_{t-1} + b_f) \\
        N_t &= f \odot N_{t-1} + i \odot g \\
        o &= \sigma(W_{xo} * \Delta + W_{no} * N_t + b_o) \\
        D_t &= o \odot \tanh(N_t)

    ``gate_conv`` is one convolution on ``[Delta, N_{t-1}]`` giving
    ``i, g, f`` (in this order); ``output_conv`` is one convolution on
    ``[Delta, N_t]`` giving ``o``.

    Args:
        in_channels (int): Channels of :math:`\Delta` (the layer below's
            hidden channels).
        hidden_channels (int): Channels of :math:`N` and :math:`D`.
        kernel_size (int | tuple[int, int]): Kernel of the convolutions.
            Defaults to 3.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        norm (str, optional): Normalisation of the gate pre-activations
            (see :func:`build_cell_norm`). Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``norm='layer'``. Defaults to None.
        forget_bias (float): Constant added to ``f`` before the sigmoid.
            Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Kernel = 3,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        self.forget_bias = forget_bias
        self.gate_conv = _NormedConv(in_channels + hidden_channels,
                                     3 * hidden_channels, kernel_size, bias,
                                     norm, spatial_size)
        self.output_conv = _NormedConv(in_channels + hidden_channels,
                                       hidden_channels, kernel_size, bias,
                                       norm, spatial_size)

    def forward(self, delta: torch.Tensor,
                n: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One step.

        Args:
            delta (torch.Tensor): ``H^{l-1}_t - H^{l-1}_{t-1}``.
            n (torch.Tensor): ``N_{t-1}``.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``(D_t, N_t)``.
        """
        i, g, f = torch.split(
            self.gate_conv(torch.cat([delta, n], dim=1)),
            self.hidden_channels,
            dim=1)
        n_new = torch.sigmoid(f + self.forget_bias) * n + torch.sigmoid(
            i) * torch.tanh(g)
        o = torch.sigmoid(self.output_conv(torch.cat([delta, n_new], dim=1)))
        return o * torch.tanh(n_new), n_new


class MIMStationaryModule(nn.Module):
    r"""MIM-S: the stationary module of a MIM block.

    An LSTM whose input is MIM-N's output :math:`D_t`, whose "hidden state"
    is the MIM block's previous temporal memory :math:`C_{t-1}` and whose
    memory is the stationary memory :math:`S`:

    .. math::
        i &= \sigma(W_{di} * D_t + W_{ci} * C_{t-1} + b_i) \\
        g &= \tanh(W_{dg} * D_t + W_{cg} * C_{t-1} + b_g) \\
        f &= \sigma(W_{df} * D_t + W_{cf} * C_{t-1} + b_f) \\
        S_t &= f \odot S_{t-1} + i \odot g \\
        o &= \sigma(W_{do} * D_t + W_{co} * C_{t-1} + W_{so} * S_t + b_o) \\
        T_t &= o \odot \tanh(S_t)

    ``gate_conv`` is one convolution on ``[D_t, C_{t-1}]`` giving
    ``i, g, f, o`` (in this order); ``output_conv`` is the convolution
    :math:`W_{so}` on :math:`S_t` (no bias: ``b_o`` is in ``gate_conv``).

    Args:
        hidden_channels (int): Channels of :math:`D, C, S, T`.
        kernel_size (int | tuple[int, int]): Kernel of the convolutions.
            Defaults to 3.
        bias (bool): Whether ``gate_conv`` has a bias. Defaults to True.
        norm (str, optional): Normalisation of the gate pre-activations
            (see :func:`build_cell_norm`). Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``norm='layer'``. Defaults to None.
        forget_bias (float): Constant added to ``f`` before the sigmoid.
            Defaults to 0.
    """

    def __init__(self,
                 hidden_channels: int,
                 kernel_size: Kernel = 3,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        self.forget_bias = forget_bias
        self.gate_conv = _NormedConv(2 * hidden_channels, 4 * hidden_channels,
                                     kernel_size, bias, norm, spatial_size)
        self.output_conv = _NormedConv(hidden_channels, hidden_channels,
                                       kernel_size, False, norm, spatial_size)

    def forward(self, d: torch.Tensor, c: torch.Tensor,
                s: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """One step.

        Args:
            d (torch.Tensor): MIM-N's output ``D_t``.
            c (torch.Tensor): The block's temporal memory ``C_{t-1}``.
            s (torch.Tensor): ``S_{t-1}``.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``(T_t, S_t)``.
        """
        i, g, f, o = torch.split(
            self.gate_conv(torch.cat([d, c], dim=1)),
            self.hidden_channels,
            dim=1)
        s_new = torch.sigmoid(f + self.forget_bias) * s + torch.sigmoid(
            i) * torch.tanh(g)
        o = torch.sigmoid(o + self.output_conv(s_new))
        return o * torch.tanh(s_new), s_new


# 'MIMBlock': the name before the Cell suffix, kept for existing configs
@CELLS.register_module(name=['MIMCell', 'MIMBlock'])
class MIMCell(BaseCell):
    r"""The MIM block of Memory In Memory (Wang et al., CVPR 2019).

    Paper: Y. Wang, J. Zhang, H. Zhu, M. Long, J. Wang, P. S. Yu, "Memory In
    Memory: A Predictive Neural Network for Learning Higher-Order
    Non-Stationarity from Spatiotemporal Dynamics", CVPR 2019.

    With :math:`X_t = H^{l-1}_t` (the input from the layer below),
    :math:`H^{l-1}_{t-1}` (the diagonal input) and the zigzag memory
    :math:`M^{l-1}_t` coming from the layer below (or from the top layer at
    ``t-1`` for the lowest layer that uses it):

    .. math::
        i &= \sigma(W_{xi} * X_t + W_{hi} * H_{t-1} + b_i) \\
        g &= \tanh(W_{xg} * X_t + W_{hg} * H_{t-1} + b_g) \\
        D_t, N_t &= \text{MIM-N}(H^{l-1}_t - H^{l-1}_{t-1}, N_{t-1}) \\
        T_t, S_t &= \text{MIM-S}(D_t, C_{t-1}, S_{t-1}) \\
        C_t &= T_t + i \odot g \\
        i' &= \sigma(W'_{xi} * X_t + W_{mi} * M^{l-1}_t + b'_i) \\
        g' &= \tanh(W'_{xg} * X_t + W_{mg} * M^{l-1}_t + b'_g) \\
        f' &= \sigma(W'_{xf} * X_t + W_{mf} * M^{l-1}_t + b'_f) \\
        M^l_t &= f' \odot M^{l-1}_t + i' \odot g' \\
        o &= \sigma(W_{xo} * X_t + W_{ho} * H_{t-1} + W_{co} * C_t
             + W_{mo} * M^l_t + b_o) \\
        H_t &= o \odot \tanh(W_{1 \times 1} * [C_t, M^l_t])

    :math:`C_t = T_t + i \odot g` is the paper's equation, and also what
    the MS-RNN authors' code does above layer 0 (the forget gate of the
    ST-LSTM is gone: MIM-S's output replaces :math:`f \odot C_{t-1}`).
    Their code builds the same full MIM cell at layer 0 and computes a
    forget gate it never uses above it; here layer 0 is an ST-LSTM
    (``SpatioTemporalLSTMCell``) as in the MIM paper, and the MIM block has
    no forget-gate weights (no dead parameters).

    Fused convolutions (one per group of gates that read the same inputs):
    ``xh_conv`` on ``[X_t, H_{t-1}]`` gives ``i, g, o`` (this order);
    ``xm_conv`` on ``[X_t, M^{l-1}_t]`` gives ``i', g', f'``;
    ``cm_output_conv`` on ``[C_t, M^l_t]`` gives the ``W_co, W_mo`` part of
    ``o`` (no bias); ``cm_fusion_conv`` is the :math:`1 \times 1`
    convolution on ``[C_t, M^l_t]``.

    Unlike OpenSTL's MIM, no state is kept on the module: ``N`` and ``S``
    live in the ``states`` dict like ``H`` and ``C``.

    States: ``h`` (output), ``c`` (temporal memory), ``n`` (MIM-N's
    non-stationary memory), ``s`` (MIM-S's stationary memory); the zigzag
    memory ``M`` is passed as ``memory``. ``diagonal`` (:math:`H^{l-1}_{t-1}`)
    is required, so a MIM block cannot be layer 0.

    Args:
        in_channels (int): Channels of the input ``X`` (and of the diagonal
            input).
        hidden_channels (int): Channels of ``H, C, N, S`` and ``M``.
        kernel_size (int | tuple[int, int]): Kernel of the gate
            convolutions. Defaults to 3.
        bias (bool): Whether the gate convolutions have biases. Defaults to
            True.
        norm (str, optional): Normalisation of every gate pre-activation:
            None, ``'group'`` or ``'layer'`` (PredRNN-family
            ``LayerNorm([C, H, W])``, needs ``spatial_size``); see
            :func:`build_cell_norm`. Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale, needed by ``norm='layer'`` only. Defaults to None.
        forget_bias (float): Constant added to the forget gates ``f'``
            (zigzag memory), MIM-N's and MIM-S's ``f`` before the sigmoid.
            Defaults to 0.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c', 'n', 's')
    uses_memory = True
    uses_diagonal = True

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='mim', name='MIM', year=2019, paper='Wang et al., CVPR 2019',
        msrnn_params=7.36, msrnn_flops=(571.9, 250.4),
        msrnn_memory=(19.69, 10.09))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Kernel = 3,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        hid = hidden_channels
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.forget_bias = forget_bias
        self.xh_conv = _NormedConv(in_channels + hid, 3 * hid,
                                   self.kernel_size, bias, norm, spatial_size)
        self.xm_conv = _NormedConv(in_channels + hid, 3 * hid,
                                   self.kernel_size, bias, norm, spatial_size)
        self.cm_output_conv = _NormedConv(2 * hid, hid, self.kernel_size,
                                          False, norm, spatial_size)
        self.cm_fusion_conv = nn.Conv2d(2 * hid, hid, 1, bias=bias)
        self.non_stationary = MIMNonStationaryModule(in_channels, hid,
                                                     self.kernel_size, bias,
                                                     norm, spatial_size,
                                                     forget_bias)
        self.stationary = MIMStationaryModule(hid, self.kernel_size, bias,
                                              norm, spatial_size, forget_bias)

    def _check_inputs(self, x: torch.Tensor,
                      diagonal: Optional[torch.Tensor]) -> None:
        """Refuse a missing or mis-shaped diagonal input with a clear
        message."""
        if diagonal is None:
            raise ValueError(
                f'{type(self).__name__} needs the diagonal input '
                'H^{l-1}_{t-1} (the previous output of the layer below), '
                'which layer 0 does not have. Use an ST-LSTM '
                "(type='SpatioTemporalLSTMCell') for layer 0 and MIM blocks "
                'above it, with one cell config per layer (as MIM does).')
        if diagonal.shape != x.shape:
            raise ValueError(
                f'{type(self).__name__}: the diagonal input H^{{l-1}}_{{t-1}} '
                f'has shape {tuple(diagonal.shape)} but the input '
                f'H^{{l-1}}_t has shape {tuple(x.shape)}; MIM-N reads their '
                'difference, so they must match (same channels and scale).')

    def _mim_step(
        self, gate_input: torch.Tensor, delta: torch.Tensor, states: States,
        memory: Optional[torch.Tensor]
    ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
        """The MIM block's equations.

        Args:
            gate_input (torch.Tensor): ``X_t``, read by the gates.
            delta (torch.Tensor): ``H^{l-1}_t - H^{l-1}_{t-1}``, read by
                MIM-N.
            states (dict[str, torch.Tensor]): ``h, c, n, s`` at ``t-1``.
            memory (torch.Tensor, optional): ``M^{l-1}_t``; None means zeros.

        Returns:
            tuple: ``(states, M^l_t, o)``: the new ``h, c, n, s``, the new
            zigzag memory and the output gate (MotionRNN's highway reads it).
        """
        h, c, n, s = states['h'], states['c'], states['n'], states['s']
        if memory is None:
            memory = torch.zeros_like(h)
        hid = self.hidden_channels
        d, n_new = self.non_stationary(delta, n)
        t, s_new = self.stationary(d, c, s)
        i, g, o = torch.split(
            self.xh_conv(torch.cat([gate_input, h], dim=1)), hid, dim=1)
        c_new = t + torch.sigmoid(i) * torch.tanh(g)
        i_m, g_m, f_m = torch.split(
            self.xm_conv(torch.cat([gate_input, memory], dim=1)), hid, dim=1)
        m_new = torch.sigmoid(f_m + self.forget_bias) * memory + \
            torch.sigmoid(i_m) * torch.tanh(g_m)
        cm = torch.cat([c_new, m_new], dim=1)
        o = torch.sigmoid(o + self.cm_output_conv(cm))
        h_new = o * torch.tanh(self.cm_fusion_conv(cm))
        return dict(h=h_new, c=c_new, n=n_new, s=s_new), m_new, o

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        ``diagonal`` (``H^{l-1}_{t-1}``, same shape as ``x``) is required;
        ``memory`` None means a zero zigzag memory.
        """
        self._check_inputs(x, diagonal)
        new_states, memory, _ = self._mim_step(x, x - diagonal, states, memory)
        return new_states, memory, {}


#: The class under its former name (configs and code written before it
#: became ``MIMCell``).
MIMBlock = MIMCell
