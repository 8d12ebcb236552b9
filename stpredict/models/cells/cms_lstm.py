"""CMS-LSTM (Chai, Xu, Bai, Lin and Yuan, ICME 2022)."""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import apply_norm, build_cell_norm


class SpatiotemporalExpression(BaseModule):
    r"""CMS-LSTM's spatiotemporal expression (SE) block.

    The hidden state ``H`` and the cell state ``C`` of the ConvLSTM step are
    read as one set of ``2 H W`` tokens. For every patch scale ``s`` the map
    is cut into ``s x s`` patches and, inside each patch, the tokens of both
    states attend to each other (multi-patch self-attention, 1x1 ``Q, K, V``
    per scale, residual):

    .. math::
        A_s &= \operatorname{softmax}(\lambda Q_s K_s^\top) V_s + [H, C]
            \quad\text{(within each patch of scale } s) \\
        [Z_h, Z_c] &= W_f * [A_{s_1}, A_{s_2}, \dots] \quad
            \text{(on the } H \text{ and } C \text{ halves alike)}, \quad
        Z = W_z * [Z_h, Z_c] \;(1\times1) \\
        [i, g, o] &= W_{hz} * [H, Z], \quad
        C' = (1 - \sigma(i)) \odot C + \sigma(i) \odot \tanh(g), \quad
        H' = \sigma(o) \odot C'

    Args:
        channels (int): Channels of ``H`` and ``C``.
        kernel_size (tuple[int, int]): Kernel of ``W_f`` and ``W_hz``.
        scales (Sequence[int]): Patch grid sizes. Defaults to (1, 2, 4).
        scaled_attention (bool): Scale the dot products by
            ``1 / sqrt(channels)``; the authors do not (``lambda = 1``).
            Defaults to False.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        norm (str, optional): Normalisation of ``W_f``'s output and of the
            gate pre-activations. Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``norm='layer'``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: Tuple[int, int],
                 scales: Sequence[int] = (1, 2, 4),
                 scaled_attention: bool = False,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.scales = tuple(int(s) for s in scales)
        if not self.scales or any(s < 1 for s in self.scales):
            raise ValueError(
                f'scales must be a non-empty list of patch grid sizes >= 1, '
                f'got {scales!r}.')
        self.channels = channels
        self.attention_scale = 1.0 / math.sqrt(channels) \
            if scaled_attention else 1.0
        padding = (kernel_size[0] // 2, kernel_size[1] // 2)
        groups = len(self.scales)
        # Q, K, V of every scale read the same tokens: one 1x1 convolution
        self.qkv = nn.Conv2d(channels, 3 * groups * channels, 1, bias=bias)
        self.conv_fuse = nn.Conv2d(
            groups * channels, channels, kernel_size, padding=padding,
            bias=bias)
        self.conv_z = nn.Conv2d(2 * channels, channels, 1, bias=bias)
        self.conv_gates = nn.Conv2d(
            2 * channels, 3 * channels, kernel_size, padding=padding,
            bias=bias)
        self.norm_fuse = build_cell_norm(norm, channels, spatial_size)
        self.norm_gates = build_cell_norm(norm, 3 * channels, spatial_size)

    def check_size(self, height: int, width: int) -> None:
        """Every scale must cut the map into whole patches."""
        bad = [s for s in self.scales if height % s or width % s]
        if bad:
            raise ValueError(
                f'CMS-LSTM splits its {height}x{width} maps into s x s '
                f'patches for s in {self.scales}, but {bad} do not divide '
                'the map size. Use frame sizes (after patching and the '
                "neck's down-sampling) divisible by "
                f'{max(self.scales)}, or set the cell\'s scales.')

    def attend(self, qkv: torch.Tensor, scale: int) -> torch.Tensor:
        """Self-attention within the patches of one scale.

        Args:
            qkv (torch.Tensor): ``[2, B, 3C, H, W]``: ``Q, K, V`` of the ``H``
                tokens (index 0) and the ``C`` tokens (index 1).
            scale (int): Patches per side.

        Returns:
            torch.Tensor: ``[2, B, C, H, W]``.
        """
        _, batch, _, height, width = qkv.shape
        ch = self.channels
        ph, pw = height // scale, width // scale
        # [2, B, 3, C, s, ph, s, pw] -> [3, B, s, s, 2, ph, pw, C]
        tokens = qkv.reshape(2, batch, 3, ch, scale, ph, scale, pw)
        tokens = tokens.permute(2, 1, 4, 6, 0, 5, 7, 3)
        tokens = tokens.reshape(3, batch, scale * scale, 2 * ph * pw, ch)
        out = F.scaled_dot_product_attention(
            tokens[0], tokens[1], tokens[2], scale=self.attention_scale)
        out = out.reshape(batch, scale, scale, 2, ph, pw, ch)
        out = out.permute(3, 0, 6, 1, 4, 2, 5)  # [2, B, C, s, ph, s, pw]
        return out.reshape(2, batch, ch, height, width)

    def forward(self, h: torch.Tensor,
                c: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Return the new ``(H, C)`` from the ConvLSTM step's ``(H, C)``."""
        batch, ch, height, width = h.shape
        self.check_size(height, width)
        feats = torch.stack([h, c])  # [2, B, C, H, W]
        qkv = self.qkv(feats.flatten(0, 1)).view(2, batch, -1, height, width)
        attended = [
            self.attend(part, scale) + feats for part, scale in zip(
                torch.split(qkv, 3 * ch, dim=2), self.scales)
        ]
        context = torch.cat(attended, dim=2).flatten(0, 1)
        fused = apply_norm(self.norm_fuse, self.conv_fuse(context))
        z_h, z_c = fused.view(2, batch, ch, height, width)
        z = self.conv_z(torch.cat([z_h, z_c], dim=1))
        pre = apply_norm(
            self.norm_gates, self.conv_gates(torch.cat([h, z], 1)))
        i, g, o = torch.split(pre, ch, dim=1)
        i = torch.sigmoid(i)
        c_new = (1 - i) * c + i * torch.tanh(g)
        h_new = torch.sigmoid(o) * c_new
        return h_new, c_new


@CELLS.register_module()
class CMSLSTMCell(BaseCell):
    r"""CMS-LSTM cell: context embedding, a ConvLSTM step, then
    spatiotemporal expression.

    Chai, Xu, Bai, Lin and Yuan, "CMS-LSTM: Context Embedding and
    Multi-Scale Spatiotemporal Expression LSTM for Predictive Learning",
    ICME 2022 (arXiv:2102.03586).

    Context embedding (CE): the input and the hidden state gate each other
    in turn for ``ce_iterations`` rounds (5), Mogrifier-style, with one
    pair of convolutions ``W_Q`` (hidden -> input) and ``W_R`` (input ->
    hidden) shared by all rounds:

    .. math::
        X &\leftarrow 2\sigma(W_Q * H) \odot X \quad (\text{rounds } 1, 3,
            5), \qquad
        H \leftarrow 2\sigma(W_R * X) \odot H \quad (\text{rounds } 2, 4) \\
        [i, f, g, o] &= W * [\tilde X, \tilde H_{t-1}] + b, \quad
        \hat C = \sigma(f) \odot C_{t-1} + \sigma(i) \odot \tanh(g), \quad
        \hat H = \sigma(o) \odot \tanh(\hat C) \\
        (H_t, C_t) &= \mathrm{SE}(\hat H, \hat C)

    with the SE block of :class:`SpatiotemporalExpression` (multi-patch
    self-attention over the tokens of ``H`` and ``C`` at patch grids 1, 2, 4,
    then a gated update of ``C`` and ``H_t = \sigma(o) \odot C_t``).

    Decisions (the numbers of the MS-RNN paper, 4.48M parameters at 6 x 64,
    kernel 3, confirm the structure):

    - ``W_Q, W_R`` are shared by the CE rounds (per-round weights would give
      5.15M).
    - The authors run ``W_f`` once on ``H`` and ``C`` laid side by side
      (width ``2W``), so its kernel also mixes the columns next to the seam;
      here it runs on each half with its own zero padding, as the equations
      say. Attention dot products are not scaled (the authors' choice);
      ``scaled_attention=True`` divides them by ``sqrt(C)``.
    - Attention runs through
      :func:`torch.nn.functional.scaled_dot_product_attention`, whose
      memory-efficient kernels do not store the ``(2HW)^2`` similarity
      matrix of the whole-map scale for the backward pass (the quadratic
      cost the MS-RNN paper reports is then compute, not memory):
      about ``4 B C (2HW)^2 / s^2`` FLOPs per scale ``s``.
    - The authors' original code has forget bias 1 and LayerNorms after
      every convolution and on the new cell states; the MS-RNN code has
      neither. ``forget_bias`` and ``norm`` (default 0 and None, as MS-RNN)
      offer them; ``norm`` normalises each convolution's output (the fused
      gate convolutions' joint output), not the cell states.

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H`` and ``C``.
        kernel_size (int | tuple[int, int]): Kernel of every convolution
            except the 1x1 ones. Defaults to 5.
        ce_iterations (int): Rounds of the CE block. Defaults to 5.
        se_scales (Sequence[int]): Patch grids of the SE block; the map
            size must divide by each, so the cell's ``frame_multiple`` is
            their least common multiple. Defaults to (1, 2, 4).
        scaled_attention (bool): Divide the SE block's dot products by
            ``sqrt(hidden_channels)``. Defaults to False.
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
        key='cmslstm', name='CMS-LSTM', year=2022,
        paper='Chai et al., ICME 2022', msrnn_params=4.48)

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 ce_iterations: int = 5,
                 se_scales: Sequence[int] = (1, 2, 4),
                 scaled_attention: bool = False,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        if ce_iterations < 0:
            raise ValueError(
                f'ce_iterations must be >= 0, got {ce_iterations}.')
        self.ce_iterations = int(ce_iterations)
        self.conv_q = nn.Conv2d(
            hidden_channels, in_channels, self.kernel_size,
            padding=self.padding, bias=bias)
        self.conv_r = nn.Conv2d(
            in_channels, hidden_channels, self.kernel_size,
            padding=self.padding, bias=bias)
        self.gate_conv = nn.Conv2d(
            in_channels + hidden_channels, 4 * hidden_channels,
            self.kernel_size, padding=self.padding, bias=bias)
        self.norm_q = build_cell_norm(norm, in_channels, spatial_size)
        self.norm_r = build_cell_norm(norm, hidden_channels, spatial_size)
        self.norm_gates = build_cell_norm(norm, 4 * hidden_channels,
                                          spatial_size)
        self.expression = SpatiotemporalExpression(
            hidden_channels, self.kernel_size, se_scales, scaled_attention,
            bias, norm, spatial_size)
        # every patch grid must cut the maps into whole patches
        self.frame_multiple = math.lcm(*self.expression.scales)
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.forget_bias = forget_bias

    def context_embedding(
            self, x: torch.Tensor,
            h: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The CE block: ``X`` and ``H`` gate each other in turn."""
        for round_index in range(1, self.ce_iterations + 1):
            if round_index % 2:
                x = 2 * torch.sigmoid(apply_norm(self.norm_q,
                                                 self.conv_q(h))) * x
            else:
                h = 2 * torch.sigmoid(apply_norm(self.norm_r,
                                                 self.conv_r(x))) * h
        return x, h

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`."""
        h, c = states['h'], states['c']
        self.check_frame_size(*x.shape[-2:])
        x_ce, h_ce = self.context_embedding(x, h)
        pre = apply_norm(self.norm_gates,
                         self.gate_conv(torch.cat([x_ce, h_ce], dim=1)))
        i, f, g, o = torch.split(pre, self.hidden_channels, dim=1)
        c_lstm = torch.sigmoid(f + self.forget_bias) * c + \
            torch.sigmoid(i) * torch.tanh(g)
        h_lstm = torch.sigmoid(o) * torch.tanh(c_lstm)
        h_new, c_new = self.expression(h_lstm, c_lstm)
        return dict(h=h_new, c=c_new), memory, {}
