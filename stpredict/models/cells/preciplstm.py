"""PrecipLSTM (Ma, Zhang and Liu, IEEE TGRS 2022)."""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from ..layers import SpatialLocalAttention, check_window_size
from .base import BaseCell, CellOutput, States
from .norms import apply_norm, build_cell_norm


@CELLS.register_module()
class PrecipLSTMCell(BaseCell):
    r"""PrecipLSTM cell: PredRNN's ST-LSTM with a spatial local attention
    memory (SLAM) and a time difference memory (TDM).

    Ma, Zhang and Liu, "PrecipLSTM: A Meteorological Spatiotemporal LSTM for
    Precipitation Nowcasting", IEEE TGRS 60, 2022. The equations follow the
    authors' code (released with MS-RNN), with :math:`*` a convolution,
    :math:`\sigma` the sigmoid and :math:`[\cdot]` channel concatenation:

    .. math::
        \hat X &= X_t + W_a * \mathrm{LA}_k(X_t)
            \quad\text{(local attention over a } k\times k
            \text{ window, 1x1 } Q, K, V)\\
        [i, f, g, o] &= W_{xc} * \hat X + W_{hc} * H_{t-1}, \quad
        C_t = \sigma(f) \odot C_{t-1} + \sigma(i) \odot \tanh(g) \\
        [i', f', g'] &= W_{xm} * \hat X + W_{mm} * M^{l-1}_t, \quad
        M^l_t = \sigma(f') \odot M^{l-1}_t + \sigma(i') \odot \tanh(g') \\
        [i_s, f_s, g_s] &= W_{xs} * \hat X + W_{ss} * MS_{t-1}, \quad
        MS_t = \sigma(f_s) \odot MS_{t-1} + \sigma(i_s) \odot \tanh(g_s) \\
        [i_d, f_d, g_d] &= W_{xd} * (X_t - X_{t-1}) + W_{dd} * MT_{t-1},
        \quad MT_t = \sigma(f_d) \odot MT_{t-1} + \sigma(i_d) \odot
            \tanh(g_d) \\
        O_t &= \sigma(o + W_o * [C_t, MS_t, MT_t, M^l_t]), \quad
        H_t = O_t \odot \tanh(W_{1\times1} * [C_t, MS_t, MT_t, M^l_t])

    ``MS`` (SLAM) remembers the attended spatial context, ``MT`` (TDM) the
    frame-to-frame differences of the layer's input over many steps; both
    stay in the layer (horizontal), ``M`` is PredRNN's zigzag memory. The
    layer's previous input :math:`X_{t-1}` is kept as the state ``x_prev``
    (zeros at the first step, so the first difference is :math:`X_0`).

    Fused convolutions (one per input they read): ``conv_x`` on
    :math:`\hat X` gives the 4 + 3 + 3 gates of ``C, M, MS``; ``conv_h``,
    ``conv_m``, ``conv_ms``, ``conv_mt`` read one state each;
    ``conv_dx`` reads the difference; ``conv_o`` on the four memories
    replaces the authors' four output-gate convolutions (same sum).

    Decisions where paper, code and this toolkit differ:

    - Window: the code uses 30 with a CUDA kernel whose window is not
      centred; here the window must be odd (default 31, covering the code's
      window plus one row and column). Keys outside the map count as zero
      keys (similarity 0) as in that kernel; ``mask_outside=True`` hides
      them instead.
    - The code assumes ``in_channels == hidden_channels`` (its attention and
      output convolutions read ``X`` with ``hidden`` channels); here the
      attention, ``W_a`` and ``X_{t-1}`` have ``in_channels`` and the
      state convolutions read ``hidden_channels``, which is the same model
      when the two agree (the MS-RNN setting).
    - Biases: only the convolutions on the input side (``conv_x``,
      ``conv_dx``, ``W_a``, ``conv_o``, the 1x1 fusion) have one; the code's
      second bias of every summed pair is redundant.
    - ``norm`` (default None, like the code) normalises each fused gate
      convolution's output, as PredRNN's ``layer_norm`` option.

    Costs: the local attention is the expensive part. With window ``k`` and
    tile ``T`` (``attention_tile_size``) it takes about
    ``4 B C H W min(T + k - 1, H) min(T + k - 1, W)`` FLOPs per step and
    layer (see :func:`stpredict.models.layers.local_attention`): for
    ``k = 31``, ``T = 16``, a batch of 4 and 64-channel 64x64 maps (MS-RNN
    setting) about 9 GFLOPs. By
    default (``checkpoint_attention``) only ``Q, K, V`` (``3 B C H W``
    values, 12 MB there) are kept for the backward pass, which recomputes
    the attention; without it the key/value regions and the attention
    kernel's expanded float window mask take about 200 MB per step and
    layer there, and a naive ``unfold`` would store about 4 GB. On maps no
    larger than ``k // 2 + 1`` (16x16 in the 4x4 patched PredRNN setting)
    every window holds the whole map and no mask is built: ``H W`` keys and
    one stand-in for the zero keys outside. Five states of ``[B, C, H, W]``
    per layer (``x_prev`` with the input's channels).

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H, C, M, MS, MT``.
        kernel_size (int | tuple[int, int]): Kernel of the gate
            convolutions and of ``W_a``. Defaults to 5.
        window_size (int): Odd side of the local attention window. Defaults
            to 31.
        attention_tile_size (int): Tile side of the blocked local attention
            (memory/compute trade-off, no effect on the result). Defaults
            to 16.
        mask_outside (bool): Hide window positions outside the map from the
            softmax instead of counting them as zero keys. Defaults to False.
        checkpoint_attention (bool): Recompute the local attention in the
            backward pass instead of storing its intermediate tensors (see
            :class:`stpredict.models.layers.SpatialLocalAttention`).
            Defaults to True.
        bias (bool): Whether the input-side convolutions have biases.
            Defaults to True.
        norm (str, optional): Normalisation of the gate pre-activations:
            None, ``'group'`` or ``'layer'`` (see :func:`build_cell_norm`).
            Defaults to None.
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale, needed by ``norm='layer'``. Defaults to None.
        forget_bias (float): Added to every forget gate before the sigmoid.
            Defaults to 0.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c', 'ms', 'mt', 'x_prev')
    uses_memory = True

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='preciplstm', name='PrecipLSTM', year=2022,
        paper='Ma et al., TGRS 2022', msrnn_params=7.04,
        msrnn_flops=(547.0, 239.5), msrnn_memory=(26.36, 12.56))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 window_size: int = 31,
                 attention_tile_size: int = 16,
                 mask_outside: bool = False,
                 checkpoint_attention: bool = True,
                 bias: bool = True,
                 norm: Optional[str] = None,
                 spatial_size: Optional[Sequence[int]] = None,
                 forget_bias: float = 0.0,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        check_window_size(window_size, type(self).__name__)
        hid = hidden_channels

        def conv(cin: int, cout: int, with_bias: bool,
                 kernel: Union[int, Tuple[int, int]] = self.kernel_size
                 ) -> nn.Conv2d:
            pad = 0 if kernel == 1 else self.padding
            return nn.Conv2d(cin, cout, kernel, padding=pad, bias=with_bias)

        def make_norm(channels: int) -> Optional[nn.Module]:
            return build_cell_norm(norm, channels, spatial_size)

        self.declare_frame_size(spatial_size, norm == 'layer')
        self.attention = SpatialLocalAttention(
            in_channels, window_size, attention_tile_size, mask_outside,
            checkpoint_attention)
        self.conv_attention = conv(in_channels, in_channels, bias)
        # gates of C (i, f, g, o), M (i, f, g) and MS (i, f, g) from X^
        self.conv_x = conv(in_channels, 10 * hid, bias)
        self.conv_h = conv(hid, 4 * hid, False)
        self.conv_m = conv(hid, 3 * hid, False)
        self.conv_ms = conv(hid, 3 * hid, False)
        # TDM: gates of MT from X_t - X_{t-1} and MT_{t-1}
        self.conv_dx = conv(in_channels, 3 * hid, bias)
        self.conv_mt = conv(hid, 3 * hid, False)
        # output gate from the four memories, and their 1x1 fusion
        self.conv_o = conv(4 * hid, hid, bias)
        self.conv_last = conv(4 * hid, hid, bias, kernel=1)

        self.norm_x = make_norm(10 * hid)
        self.norm_h = make_norm(4 * hid)
        self.norm_m = make_norm(3 * hid)
        self.norm_ms = make_norm(3 * hid)
        self.norm_dx = make_norm(3 * hid)
        self.norm_mt = make_norm(3 * hid)
        self.norm_o = make_norm(hid)
        self.forget_bias = forget_bias

    def state_channels(self, name: str) -> int:
        """``x_prev`` has the input's channels, the others ``hidden``."""
        if name == 'x_prev':
            return self.in_channels
        return self.hidden_channels

    def _lstm_update(self, pre: torch.Tensor,
                     state: torch.Tensor) -> torch.Tensor:
        """``sigma(f) * state + sigma(i) * tanh(g)`` from ``[i, f, g]``."""
        i, f, g = torch.split(pre, self.hidden_channels, dim=1)
        return torch.sigmoid(f + self.forget_bias) * state + \
            torch.sigmoid(i) * torch.tanh(g)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        ``memory`` is the zigzag memory ``M`` (zeros when None).
        """
        if memory is None:
            memory = self.init_memory(x)
        hid = self.hidden_channels
        h, c, ms, mt, x_prev = (states[name] for name in self.state_names)

        x_att = x + self.conv_attention(self.attention(x))
        gx = apply_norm(self.norm_x, self.conv_x(x_att))
        gx_c, gx_m, gx_s = torch.split(gx, [4 * hid, 3 * hid, 3 * hid], dim=1)

        i, f, g, o = torch.split(
            gx_c + apply_norm(self.norm_h, self.conv_h(h)), hid, dim=1)
        c_new = torch.sigmoid(f + self.forget_bias) * c + \
            torch.sigmoid(i) * torch.tanh(g)
        m_new = self._lstm_update(
            gx_m + apply_norm(self.norm_m, self.conv_m(memory)), memory)
        ms_new = self._lstm_update(
            gx_s + apply_norm(self.norm_ms, self.conv_ms(ms)), ms)
        mt_new = self._lstm_update(
            apply_norm(self.norm_dx, self.conv_dx(x - x_prev)) +
            apply_norm(self.norm_mt, self.conv_mt(mt)), mt)

        memories = torch.cat([c_new, ms_new, mt_new, m_new], dim=1)
        out_gate = torch.sigmoid(
            o + apply_norm(self.norm_o, self.conv_o(memories)))
        h_new = out_gate * torch.tanh(self.conv_last(memories))
        new_states: Dict[str, torch.Tensor] = dict(
            h=h_new, c=c_new, ms=ms_new, mt=mt_new, x_prev=x)
        return new_states, m_new, {}
