"""MoDeRNN (Chai, Xu and Yuan, ICASSP 2022)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import apply_norm, build_cell_norm


class MultiKernelConv2d(BaseModule):
    r"""The mean of convolutions with several kernel sizes, as one conv.

    .. math::
        y = \frac{1}{n} \sum_{k} (W_k * x + b_k)
          = \Big(\frac{1}{n} \sum_k \mathrm{pad}(W_k)\Big) * x
            + \frac{1}{n} \sum_k b_k

    The kernels are kept as separate parameters (one ``nn.Conv2d`` per size,
    initialised as such) and summed, zero-padded to the largest size, into
    one kernel for a single convolution: the same result as running them
    one by one, at the cost of the largest kernel only (for 3, 5, 7: 49
    instead of 83 multiply-adds per input/output channel pair and pixel).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_sizes (Sequence[int]): Odd kernel sizes. Defaults to
            (3, 5, 7).
        bias (bool): Whether every convolution has a bias. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_sizes: Sequence[int] = (3, 5, 7),
                 bias: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        sizes = tuple(int(k) for k in kernel_sizes)
        if not sizes or any(k < 1 or k % 2 == 0 for k in sizes):
            raise ValueError(
                'MultiKernelConv2d needs a non-empty list of odd kernel '
                f'sizes, got {kernel_sizes!r}.')
        self.kernel_sizes = sizes
        self.max_kernel = max(sizes)
        self.convs = nn.ModuleList(
            nn.Conv2d(in_channels, out_channels, k, padding=k // 2, bias=bias)
            for k in sizes)

    def fused_weight(self) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The single kernel (and bias) equal to the mean of the convs."""
        weight = 0
        bias = None
        for conv in self.convs:
            pad = (self.max_kernel - conv.kernel_size[0]) // 2
            weight = weight + F.pad(conv.weight, (pad, pad, pad, pad))
            if conv.bias is not None:
                bias = conv.bias if bias is None else bias + conv.bias
        count = len(self.convs)
        return weight / count, None if bias is None else bias / count

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Mean of the convolutions of ``x``."""
        weight, bias = self.fused_weight()
        return F.conv2d(x, weight, bias, padding=self.max_kernel // 2)


@CELLS.register_module()
class MoDeRNNCell(BaseCell):
    r"""MoDeRNN cell: a detail context block, then a ConvLSTM step.

    Chai, Xu and Yuan, "MoDeRNN: Towards Fine-grained Motion Details for
    Spatiotemporal Predictive Learning", ICASSP 2022 (arXiv:2110.12978).

    The detail context block (DCB; a "detail perception block" in some
    descriptions) lets the input and the hidden state gate each other in
    turn for ``dcb_iterations`` rounds (5), each time through the mean of
    convolutions with several kernel sizes (3, 5, 7) so that fine and coarse
    motion details both take part; the kernels are shared by the rounds:

    .. math::
        X &\leftarrow 2\sigma\Big(\tfrac{1}{3}\textstyle\sum_{k\in\{3,5,7\}}
            W^{h}_{k} * H\Big) \odot X \quad (\text{rounds } 1, 3, 5) \\
        H &\leftarrow 2\sigma\Big(\tfrac{1}{3}\textstyle\sum_{k\in\{3,5,7\}}
            W^{x}_{k} * X\Big) \odot H \quad (\text{rounds } 2, 4) \\
        [i, f, g, o] &= W * [\tilde X, \tilde H_{t-1}] + b, \quad
        C_t = \sigma(f) \odot C_{t-1} + \sigma(i) \odot \tanh(g), \quad
        H_t = \sigma(o) \odot \tanh(C_t)

    ``W^h_k`` map the hidden state to the input's channels and ``W^x_k`` the
    input to the hidden channels. Each multi-kernel mean runs as one
    convolution with the summed kernel (:class:`MultiKernelConv2d`): the
    same numbers as three convolutions, at the cost of the 7x7 one. With
    ``C`` channels, ``2 * (9 + 25 + 49) C^2`` DCB weights per layer; 5.85M
    parameters at the MS-RNN setting (6 x 64, gate kernel 3; the MS-RNN
    paper reports 5.86M).

    Decisions: the authors' original code has forget bias 1 and a LayerNorm
    after every convolution (before the mean) and on the new cell state; the
    MS-RNN code has neither. ``forget_bias`` and ``norm`` (default 0 and
    None, as MS-RNN) offer them; ``norm`` normalises each multi-kernel mean
    and the fused gate pre-activations (not each kernel's output, which
    would prevent the kernel fusion, nor the cell state).

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H`` and ``C``.
        kernel_size (int | tuple[int, int]): Kernel of the gate convolution.
            Defaults to 5.
        dcb_kernel_sizes (Sequence[int]): Odd kernel sizes of the DCB.
            Defaults to (3, 5, 7).
        dcb_iterations (int): Rounds of the DCB. Defaults to 5.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        norm (str, optional): None, ``'group'`` or ``'layer'`` (see
            :func:`build_cell_norm`). Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale, for ``norm='layer'``. Defaults to None.
        forget_bias (float): Added to the forget gate before the sigmoid.
            Defaults to 0.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c')

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='modernn', name='MoDeRNN', year=2022,
        paper='Chai et al., ICASSP 2022', msrnn_params=5.86)

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 dcb_kernel_sizes: Sequence[int] = (3, 5, 7),
                 dcb_iterations: int = 5,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        if dcb_iterations < 0:
            raise ValueError(
                f'dcb_iterations must be >= 0, got {dcb_iterations}.')
        self.dcb_iterations = int(dcb_iterations)
        # rounds 1, 3, 5: gate X from H; rounds 2, 4: gate H from X
        self.conv_h2x = MultiKernelConv2d(hidden_channels, in_channels,
                                          dcb_kernel_sizes, bias)
        self.conv_x2h = MultiKernelConv2d(in_channels, hidden_channels,
                                          dcb_kernel_sizes, bias)
        self.gate_conv = nn.Conv2d(
            in_channels + hidden_channels, 4 * hidden_channels,
            self.kernel_size, padding=self.padding, bias=bias)
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.norm_h2x = build_cell_norm(norm, in_channels, spatial_size)
        self.norm_x2h = build_cell_norm(norm, hidden_channels, spatial_size)
        self.norm_gates = build_cell_norm(norm, 4 * hidden_channels,
                                          spatial_size)
        self.forget_bias = forget_bias

    def detail_context(
            self, x: torch.Tensor,
            h: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The DCB: ``X`` and ``H`` gate each other in turn."""
        for round_index in range(1, self.dcb_iterations + 1):
            if round_index % 2:
                x = 2 * torch.sigmoid(
                    apply_norm(self.norm_h2x, self.conv_h2x(h))) * x
            else:
                h = 2 * torch.sigmoid(
                    apply_norm(self.norm_x2h, self.conv_x2h(x))) * h
        return x, h

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`."""
        h, c = states['h'], states['c']
        x_dp, h_dp = self.detail_context(x, h)
        pre = apply_norm(self.norm_gates,
                         self.gate_conv(torch.cat([x_dp, h_dp], dim=1)))
        i, f, g, o = torch.split(pre, self.hidden_channels, dim=1)
        c_new = torch.sigmoid(f + self.forget_bias) * c + \
            torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        return dict(h=h_new, c=c_new), memory, {}
