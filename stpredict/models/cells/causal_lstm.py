"""Causal LSTM, the cell of PredRNN++ (Wang et al., ICML 2018)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .gradient_highway_unit import GradientHighwayUnit
from .norms import apply_norm, build_cell_norm


@CELLS.register_module()
class CausalLSTMCell(BaseCell):
    r"""Causal LSTM, optionally behind a Gradient Highway Unit (PredRNN++).

    Wang, Gao, Long, Wang and Yu, "PredRNN++: Towards A Resolution of the
    Deep-in-Time Dilemma in Spatiotemporal Predictive Learning", ICML 2018
    (the causal LSTM and the gradient highway unit).

    The temporal memory ``C`` and the zigzag spatiotemporal memory ``M``
    (``uses_memory = True``) are updated in cascade: ``M`` is computed from
    the new ``C``, which deepens the transition between adjacent states.

    .. math::
        (g_t, i_t, f_t) &= (\tanh, \sigma, \sigma)
            (W_1 * [X_t, H^k_{t-1}, C^k_{t-1}]) \\
        C^k_t &= f_t \odot C^k_{t-1} + i_t \odot g_t \\
        (g'_t, i'_t, f'_t) &= (\tanh, \sigma, \sigma)
            (W_2 * [X_t, C^k_t, M^{k-1}_t]) \\
        M^k_t &= f'_t \odot \tanh(W_3 * M^{k-1}_t) + i'_t \odot g'_t \\
        o_t &= \tanh(W_4 * [X_t, C^k_t, M^k_t]) \\
        H^k_t &= o_t \odot \tanh(W_5 * [C^k_t, M^k_t])

    ``W_3`` and ``W_5`` are 1x1 convolutions (the paper; the MS-RNN code
    agrees; the PredRNN++ code gives ``W_3`` the gate kernel, see
    ``memory_kernel_size``). The output gate is a ``tanh``, as in the paper
    and both codes. Each ``W_1``, ``W_2``, ``W_4`` is already one convolution
    on the concatenation of the tensors it reads (its gates are fused).

    With ``highway=True`` the cell first runs a :class:`GradientHighwayUnit`
    on its input and feeds the causal LSTM with the GHU output ``Z_t``; the
    GHU state ``z`` is one of this cell's states (``('h', 'c', 'z')``). This
    is how PredRNN++ puts the GHU between its first and second layers (and
    how the MS-RNN code writes it: inside layer 1), so a PredRNN++ stack is a
    list of per-layer cell configs with ``highway=True`` on layer 1.

    The authors' codes add a constant ``forget_bias`` to both forget gates
    (1 in the PredRNN++ code, 0 in the MS-RNN code), which is the same
    function as learnable biases initialised differently.

    Args:
        in_channels (int): Channels of the input ``X`` (of the GHU with
            ``highway=True``).
        hidden_channels (int): Channels of ``H``, ``C``, ``M`` (and ``Z``).
        kernel_size (int | tuple[int, int]): Kernel of ``W_1``, ``W_2``,
            ``W_4`` and the GHU. Defaults to 5 (PredRNN++).
        memory_kernel_size (int | tuple[int, int]): Kernel of ``W_3``.
            Defaults to 1 (the paper).
        highway (bool): Run a Gradient Highway Unit on the input first.
            Defaults to False.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        forget_bias (float): Constant added to both forget gates. Defaults
            to 1.0 (PredRNN++'s code).
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale; needed only by ``norm='layer'``. Defaults to None.
        norm (str, optional): Normalisation of the outputs of ``W_1`` to
            ``W_4`` (and of the GHU's convolution): None, ``'group'`` or
            ``'layer'``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c')
    uses_memory = True

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='predrnnpp', name='PredRNN++', year=2018,
        paper='Wang et al., ICML 2018', msrnn_params=5.61,
        msrnn_flops=(378.7, 163.7), msrnn_memory=(15.20, 8.18))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 memory_kernel_size: Union[int, Tuple[int, int]] = 1,
                 highway: bool = False,
                 bias: bool = True,
                 forget_bias: float = 1.0,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        memory_kernel = (memory_kernel_size, memory_kernel_size) if \
            isinstance(memory_kernel_size, int) else tuple(memory_kernel_size)
        if any(k < 1 or k % 2 == 0 for k in memory_kernel):
            raise ValueError('CausalLSTMCell needs an odd memory_kernel_size, '
                             f'got {memory_kernel_size}.')
        hidden = hidden_channels
        self.highway = highway
        self.forget_bias = forget_bias
        if highway:
            # the GHU state z is kept with the layer's other states
            self.state_names = ('h', 'c', 'z')
            self.ghu = GradientHighwayUnit(
                in_channels,
                hidden,
                self.kernel_size,
                bias=bias,
                spatial_size=spatial_size,
                norm=norm)
            lstm_in = hidden
        else:
            self.ghu = None
            lstm_in = in_channels

        def conv(cin: int, cout: int, kernel: Tuple[int, int]) -> nn.Conv2d:
            return nn.Conv2d(
                cin,
                cout,
                kernel,
                padding=(kernel[0] // 2, kernel[1] // 2),
                bias=bias)

        self.temporal_conv = conv(lstm_in + 2 * hidden, 3 * hidden,
                                  self.kernel_size)  # W_1
        self.spatial_conv = conv(lstm_in + 2 * hidden, 3 * hidden,
                                 self.kernel_size)  # W_2
        self.memory_conv = conv(hidden, hidden, memory_kernel)  # W_3
        self.output_conv = conv(lstm_in + 2 * hidden, hidden,
                                self.kernel_size)  # W_4
        self.fusion_conv = conv(2 * hidden, hidden, (1, 1))  # W_5
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.temporal_norm = build_cell_norm(norm, 3 * hidden, spatial_size)
        self.spatial_norm = build_cell_norm(norm, 3 * hidden, spatial_size)
        self.memory_norm = build_cell_norm(norm, hidden, spatial_size)
        self.output_norm = build_cell_norm(norm, hidden, spatial_size)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        ``memory`` is ``M^{k-1}_t`` (zeros when None); the returned memory
        is ``M^k_t``.
        """
        hidden = self.hidden_channels
        h, c = states['h'], states['c']
        if memory is None:
            memory = self.init_memory(x)
        z_new = None
        if self.ghu is not None:
            # the causal LSTM reads the highway's output Z_t
            x = z_new = self.ghu(x, states['z'])

        gates = apply_norm(self.temporal_norm,
                           self.temporal_conv(torch.cat([x, h, c], dim=1)))
        i, f, g = torch.split(gates, hidden, dim=1)
        c_new = torch.sigmoid(f + self.forget_bias) * c + \
            torch.sigmoid(i) * torch.tanh(g)

        gates = apply_norm(
            self.spatial_norm,
            self.spatial_conv(torch.cat([x, c_new, memory], dim=1)))
        i_m, f_m, g_m = torch.split(gates, hidden, dim=1)
        m_old = torch.tanh(
            apply_norm(self.memory_norm, self.memory_conv(memory)))
        m_new = torch.sigmoid(f_m + self.forget_bias) * m_old + \
            torch.sigmoid(i_m) * torch.tanh(g_m)

        o = torch.tanh(
            apply_norm(self.output_norm,
                       self.output_conv(torch.cat([x, c_new, m_new],
                                                  dim=1))))
        h_new = o * torch.tanh(
            self.fusion_conv(torch.cat([c_new, m_new], dim=1)))
        new_states = dict(h=h_new, c=c_new)
        if z_new is not None:
            new_states['z'] = z_new
        return new_states, m_new, {}
