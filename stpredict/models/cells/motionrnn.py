"""MotionRNN (Wu et al., CVPR 2021) on a MIM backbone.

MotionRNN places a MotionGRU between stacked layers: it learns pixel
offsets (the motion filter ``F``: a transient variation plus a trending
momentum ``D``), warps the hidden state of the layer below with them, and
hands the result to the next block; a Motion Highway adds the layer below's
hidden state to the block's output, gated by the block's output gate.

Within the cell contract, :class:`MotionMIMCell` is a MIM block fused with
the MotionGRU that sits below it (the MS-RNN paper likewise fuses each
MotionGRU with one MIM layer into one layer): the network is an ST-LSTM at
layer 0 and MotionMIM blocks above it, so there is one MotionGRU and one
highway between every two consecutive layers.
"""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from ..layers import neighbourhood_warp
from .base import CellOutput, States
from .mim import MIMCell, _same_conv

Kernel = Union[int, Tuple[int, int]]


class MotionGRU(nn.Module):
    r"""MotionGRU (Wu et al., CVPR 2021, Sec. 3.2).

    For the hidden state :math:`H` of the layer below, the motion filter
    :math:`F_{t-1}` and the trend :math:`D_{t-1}` (both at half resolution,
    :math:`2k^2` channels: one offset ``(dy, dx)`` per tap of a
    :math:`k \times k` filter):

    .. math::
        E &= \mathrm{Enc}(H) \\
        u &= \sigma(W_u * [E, F_{t-1}]), \quad
        r = \sigma(W_r * [E, F_{t-1}]) \\
        z &= \tanh(W_z * [E, r \odot F_{t-1}]) \\
        F'_t &= u \odot z + (1 - u) \odot F_{t-1}
            \quad \text{(transient variation)} \\
        D_t &= D_{t-1} + \alpha (F_{t-1} - D_{t-1})
            \quad \text{(trending momentum)} \\
        F_t &= F'_t + D_t \\
        m &= \mathrm{Broadcast}(\sigma(W_{hm} * E)) \\
        H' &= m \odot \mathrm{Warp}(E, F_t) \\
        g &= \sigma(W_{1 \times 1} * [\mathrm{Dec}(H'), H]) \\
        X &= g \odot H + (1 - g) \odot \mathrm{Dec}(H')

    ``Enc`` is a :math:`2 \times 2` stride-2 convolution to ``C/4``
    channels (half resolution, rounded down); ``Warp`` samples ``E`` at the
    taps of a :math:`k \times k` filter moved by ``F_t`` (bilinear, zeros
    outside); the mask ``m`` (one value per tap) modulates each sample and a
    learned :math:`k \times k` kernel (``warp_kernel``, a :math:`1 \times 1`
    convolution over the stacked taps) combines them, as a modulated
    deformable convolution; ``Dec`` is a stride-2 transposed convolution
    back to ``C`` channels at exactly the input's size (any size >= 2 works,
    odd sizes included). ``W_u`` and ``W_r`` read the same input and are one
    convolution (``update_reset_conv``, gates ``u, r`` in this order).

    Args:
        channels (int): Channels of ``H`` (and of the output ``X``).
        kernel_size (int | tuple[int, int]): Kernel of the gate
            convolutions ``W_u, W_r, W_z, W_hm``. Defaults to 3.
        neighbourhood (int): Odd size ``k`` of the motion filter. Defaults
            to 3 (``F`` and ``D`` have ``2 * 9`` channels).
        motion_channels (int, optional): Channels of ``Enc(H)``. Defaults to
            None (``channels // 4``, at least 1).
        momentum (float): Step :math:`\alpha` of the trending momentum.
            Defaults to 0.5.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: Kernel = 3,
                 neighbourhood: int = 3,
                 motion_channels: Optional[int] = None,
                 momentum: float = 0.5) -> None:
        super().__init__()
        if neighbourhood < 1 or neighbourhood % 2 == 0:
            raise ValueError(
                'MotionGRU needs an odd neighbourhood (motion filter size) '
                f'>= 1, got {neighbourhood}.')
        enc_channels = motion_channels or max(1, channels // 4)
        self.neighbourhood = neighbourhood
        self.flow_channels = 2 * neighbourhood * neighbourhood
        self.momentum = momentum
        flow = self.flow_channels
        self.encoder = nn.Conv2d(channels, enc_channels, 2, stride=2)
        self.update_reset_conv = _same_conv(enc_channels + flow, 2 * flow,
                                            kernel_size, True)
        self.candidate_conv = _same_conv(enc_channels + flow, flow,
                                         kernel_size, True)
        self.mask_conv = _same_conv(enc_channels,
                                    neighbourhood * neighbourhood, kernel_size,
                                    True)
        self.warp_kernel = nn.Conv2d(
            enc_channels * neighbourhood * neighbourhood,
            enc_channels,
            1,
            bias=False)
        self.decoder = nn.ConvTranspose2d(
            enc_channels, channels, 4, stride=2, padding=1)
        self.gate_conv = nn.Conv2d(2 * channels, channels, 1)

    def forward(
        self, h: torch.Tensor, flow: torch.Tensor, trend: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step.

        Args:
            h (torch.Tensor): ``H`` ``[B, C, H, W]``.
            flow (torch.Tensor): ``F_{t-1}`` ``[B, 2k^2, H//2, W//2]``.
            trend (torch.Tensor): ``D_{t-1}``, same shape as ``flow``.

        Returns:
            tuple: ``(X, F_t, D_t)``.
        """
        enc = self.encoder(h)
        update, reset = torch.split(
            torch.sigmoid(self.update_reset_conv(torch.cat([enc, flow], 1))),
            self.flow_channels,
            dim=1)
        candidate = torch.tanh(
            self.candidate_conv(torch.cat([enc, reset * flow], dim=1)))
        transient = update * candidate + (1 - update) * flow
        trend_new = trend + self.momentum * (flow - trend)
        flow_new = transient + trend_new
        mask = torch.sigmoid(self.mask_conv(enc))
        taps = neighbourhood_warp(enc, flow_new, self.neighbourhood)
        taps = taps * mask.unsqueeze(1)
        warped = self.warp_kernel(taps.flatten(1, 2))
        decoded = self.decoder(warped, output_size=list(h.shape[-2:]))
        gate = torch.sigmoid(self.gate_conv(torch.cat([decoded, h], dim=1)))
        x = gate * h + (1 - gate) * decoded
        return x, flow_new, trend_new


# 'MotionMIMBlock': the name before the Cell suffix, kept for existing configs
@CELLS.register_module(name=['MotionMIMCell', 'MotionMIMBlock'])
class MotionMIMCell(MIMCell):
    r"""A MIM block with MotionRNN's MotionGRU and Motion Highway.

    Paper: H. Wu, Z. Yao, J. Wang, M. Long, "MotionRNN: A Flexible Model
    for Video Prediction with Spacetime-Varying Motions", CVPR 2021, on the
    MIM backbone (Wang et al., CVPR 2019, see :class:`MIMCell`).

    MotionRNN's Eq. 1 for the layer above the MotionGRU, with
    :math:`H^{l-1}_t` the input from the layer below:

    .. math::
        X_t, F_t, D_t &= \mathrm{MotionGRU}(H^{l-1}_t, F_{t-1}, D_{t-1}) \\
        H^l_t, o_t &= \mathrm{MIMCell}(X_t, \ldots) \\
        H^l_t &\leftarrow H^l_t + (1 - o_t) \odot H^{l-1}_t
            \quad \text{(Motion Highway)}

    The MotionGRU (:class:`MotionGRU`) runs on the block's input, the MIM
    gates read its output :math:`X_t`, and MIM-N reads
    :math:`H^{l-1}_t - H^{l-1}_{t-1}` (input minus diagonal input, as in
    MIM). :math:`F` and :math:`D` live at half the cell's resolution
    (rounded down) with :math:`2k^2` channels; the decoder restores the
    exact input size, so odd sizes (e.g. 31 x 31 at the quarter scale of a
    124 x 124 frame in MS-RNN) work; sizes below 2 are refused with a clear
    message (``min_frame_size = 2``).

    Placement: MotionRNN puts a MotionGRU and a highway between every two
    consecutive layers. The MS-RNN authors' code attaches them to the
    output of layers ``0 .. L-2`` ("highway on all but the last layer") and
    builds a MotionGRU in the last layer whose output it never uses; here
    each MotionGRU + highway belongs to the layer above it (layers
    ``1 .. L-1``, layer 0 being an ST-LSTM), which gives the same ``L-1``
    MotionGRUs and highways between the same layers, follows the paper's
    Eq. 1 (the highway adds the pre-motion :math:`H^{l-1}_t` to the block's
    output) and has no unused parameters.

    States: ``h, c, n, s`` (see :class:`MIMCell`) and ``f`` (motion filter
    :math:`F`) and ``d`` (trend :math:`D`), both
    ``[B, 2k^2, H//2, W//2]``. Uses the zigzag memory and the diagonal
    input.

    Args:
        in_channels (int): Channels of the input (must equal
            ``hidden_channels`` when ``motion_highway`` is True).
        hidden_channels (int): Channels of ``H, C, N, S, M``.
        kernel_size (int | tuple[int, int]): Kernel of the gate
            convolutions (MIM and MotionGRU). Defaults to 3.
        bias (bool): Whether the MIM gate convolutions have biases.
            Defaults to True.
        norm (str, optional): Normalisation of the MIM gate
            pre-activations (see :class:`MIMCell`). Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``norm='layer'``. Defaults to None.
        forget_bias (float): See :class:`MIMCell`. Defaults to 0.
        motion_highway (bool): Whether to add the Motion Highway. Defaults
            to True.
        neighbourhood (int): Odd size ``k`` of the motion filter. Defaults
            to 3.
        motion_channels (int, optional): Channels of the MotionGRU's
            encoded state. Defaults to None (``in_channels // 4``).
        momentum (float): Step :math:`\alpha` of the trending momentum.
            Defaults to 0.5.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c', 'n', 's', 'f', 'd')
    uses_memory = True
    uses_diagonal = True
    min_frame_size = 2

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='motionrnn', name='MotionRNN', year=2021,
        paper='Wu et al., CVPR 2021', msrnn_params=7.56,
        msrnn_flops=(584.3, 255.9), msrnn_memory=(20.65, 10.48))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Kernel = 3,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0,
                 motion_highway: bool = True,
                 neighbourhood: int = 3,
                 motion_channels: Optional[int] = None,
                 momentum: float = 0.5,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels,
            hidden_channels,
            kernel_size,
            bias=bias,
            norm=norm,
            spatial_size=spatial_size,
            forget_bias=forget_bias,
            init_cfg=init_cfg)
        if motion_highway and in_channels != hidden_channels:
            raise ValueError(
                'MotionMIMCell: the Motion Highway adds the input '
                f'({in_channels} channels) to the output ({hidden_channels} '
                'channels), so they must be equal: give the layers equal '
                'hidden_channels or set motion_highway=False.')
        self.motion_highway = motion_highway
        self.motion = MotionGRU(in_channels, self.kernel_size, neighbourhood,
                                motion_channels, momentum)

    def state_channels(self, name: str) -> int:
        """Channels of a state: ``2k^2`` for ``f`` and ``d``, else hidden."""
        if name in ('f', 'd'):
            return self.motion.flow_channels
        return self.hidden_channels

    def init_states(self, x: torch.Tensor) -> States:
        """Zero states: ``h, c, n, s`` at the input's size, ``f, d`` at half
        of it (rounded down).

        Args:
            x (torch.Tensor): The input the cell will first receive.

        Returns:
            dict[str, torch.Tensor]: One zero tensor per state name.
        """
        batch, _, height, width = x.shape
        self.check_frame_size(height, width)
        states = {}
        for name in self.state_names:
            size = (height // 2,
                    width // 2) if name in ('f', 'd') else (height, width)
            states[name] = x.new_zeros(batch, self.state_channels(name), *size)
        return states

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward` and :class:`MIMCell`."""
        self._check_inputs(x, diagonal)
        height, width = x.shape[-2:]
        self.check_frame_size(height, width)
        expected = (height // 2, width // 2)
        if tuple(states['f'].shape[-2:]) != expected:
            raise ValueError(
                'MotionMIMCell: the motion states f, d have size '
                f'{tuple(states["f"].shape[-2:])} but an input of '
                f'{height} x {width} needs {expected} (half, rounded down); '
                'build the states with init_states(x) for this input size.')
        motion_x, flow, trend = self.motion(x, states['f'], states['d'])
        mim_states = {name: states[name] for name in ('h', 'c', 'n', 's')}
        new_states, memory, o = self._mim_step(motion_x, x - diagonal,
                                               mim_states, memory)
        if self.motion_highway:
            new_states['h'] = new_states['h'] + (1 - o) * x
        new_states['f'] = flow
        new_states['d'] = trend
        return new_states, memory, {}


#: The class under its former name (configs and code written before it
#: became ``MotionMIMCell``).
MotionMIMBlock = MotionMIMCell
