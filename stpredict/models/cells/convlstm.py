"""Convolutional LSTM (Shi et al., NeurIPS 2015)."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import build_cell_norm


@CELLS.register_module()
class ConvLSTMCell(BaseCell):
    r"""ConvLSTM cell with a fused gate convolution.

    .. math::
        [i, f, g, o] &= W * [X_t, H_{t-1}] + b \\
        i &= \sigma(i + W_{ci} \odot C_{t-1}), \quad
        f = \sigma(f + W_{cf} \odot C_{t-1} + b_{forget}), \quad
        g = \tanh(g) \\
        C_t &= f \odot C_{t-1} + i \odot g \\
        H_t &= \sigma(o + W_{co} \odot C_t) \odot \tanh(C_t)

    One convolution on the concatenation ``[X, H]`` gives all four gates
    (the same math as separate ``W_x * X + W_h * H`` convolutions, in one
    larger kernel). Peephole terms (``W_c``) are optional.

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H`` and ``C``.
        kernel_size (int | tuple[int, int]): Gate convolution kernel.
            Defaults to 5 (TMU, Shi et al.).
        bias (bool): Whether the gate convolution has a bias. Defaults to
            True.
        peephole (bool): Whether to add the peephole terms
            ``W_ci * C_{t-1}``, ``W_cf * C_{t-1}`` and ``W_co * C_t``
            (Hadamard products). Defaults to False.
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale. With it, peephole weights are full ``[C, H, W]`` tensors
            (Shi et al.) and ``norm='layer'`` is possible; without it they
            are per-channel ``[C, 1, 1]`` and the cell works at any size.
            Defaults to None.
        norm (str, optional): Normalisation of the gate pre-activations:
            None, ``'group'`` or ``'layer'`` (see :func:`build_cell_norm`).
            Defaults to None.
        forget_bias (float): Constant added to the forget gate before the
            sigmoid. Defaults to 0.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c')

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='convlstm', name='ConvLSTM', year=2015,
        paper='Shi et al., NeurIPS 2015', msrnn_params=1.77,
        msrnn_flops=(137.7, 60.3), msrnn_memory=(5.50, 3.86))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 bias: bool = True,
                 peephole: bool = False,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None,
                 forget_bias: float = 0.0,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        self.gate_conv = nn.Conv2d(
            in_channels + hidden_channels,
            4 * hidden_channels,
            self.kernel_size,
            padding=self.padding,
            bias=bias)
        self.norm = build_cell_norm(norm, 4 * hidden_channels, spatial_size)
        self.declare_frame_size(spatial_size, norm == 'layer' or peephole)
        self.forget_bias = forget_bias
        self.peephole = peephole
        if peephole:
            shape = (hidden_channels, *spatial_size) if spatial_size else (
                hidden_channels, 1, 1)
            self.peephole_weight = nn.Parameter(torch.zeros(3, *shape))
        else:
            self.register_parameter('peephole_weight', None)

    def gates(self, x: torch.Tensor,
              h: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Pre-activations of the gates ``i, f, g, o`` (no peepholes).

        Args:
            x (torch.Tensor): Input ``[B, in_channels, H, W]``.
            h (torch.Tensor): Hidden state ``[B, hidden_channels, H, W]``.

        Returns:
            dict[str, torch.Tensor]: ``i, f, g, o`` before their activations.
        """
        pre = self.gate_conv(torch.cat([x, h], dim=1))
        if self.norm is not None:
            pre = self.norm(pre)
        i, f, g, o = torch.split(pre, self.hidden_channels, dim=1)
        return dict(i=i, f=f, g=g, o=o)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`."""
        h, c = states['h'], states['c']
        pre = self.gates(x, h)
        i, f, o = pre['i'], pre['f'], pre['o']
        if self.peephole:
            w_ci, w_cf, w_co = self.peephole_weight
            i = i + w_ci * c
            f = f + w_cf * c
        i = torch.sigmoid(i)
        f = torch.sigmoid(f + self.forget_bias)
        g = torch.tanh(pre['g'])
        c_new = f * c + i * g
        if self.peephole:
            o = o + w_co * c_new
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        return dict(h=h_new, c=c_new), memory, {}
