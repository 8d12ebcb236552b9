"""PrecipLSTM (Ma, Zhang and Liu, IEEE TGRS 2022)."""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch.utils import checkpoint as torch_checkpoint

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import apply_norm, build_cell_norm


def _check_window(window_size: int, owner: str) -> None:
    """Refuse windows that cannot be centred on a pixel."""
    if int(window_size) != window_size or window_size < 1 or \
            window_size % 2 == 0:
        raise ValueError(
            f'{owner} needs an odd local-attention window_size >= 1 (a '
            'window centred on each pixel keeps the map size only when it '
            f'is odd), got {window_size!r}. The authors\' code uses 30, '
            'which only works with their CUDA kernel: use 31 (or 29).')


def _tile_layout(length: int, tile: int, radius: int,
                 device: torch.device) -> Dict[str, torch.Tensor]:
    """Rows (or columns) of the query tiles and of their key regions.

    The map (padded to whole tiles) is cut into tiles of ``tile`` pixels.
    Each tile reads the keys of a region of ``min(tile + 2r, padded
    length)`` pixels that holds every in-map position of its queries'
    windows: the tile grown by ``r`` on both sides, shifted inwards at the
    borders of the map.

    Returns:
        dict: ``query`` ``[n, tile]`` and ``key`` ``[n, region]`` absolute
        positions, and ``inside`` ``[n, tile]``: how many positions of each
        query's window ``[p - r, p + r]`` lie in ``[0, length)``.
    """
    num = math.ceil(length / tile)
    padded = num * tile
    region = min(tile + 2 * radius, padded)
    first = torch.arange(num, device=device) * tile
    start = (first - radius).clamp(0, padded - region)
    query = first[:, None] + torch.arange(tile, device=device)
    key = start[:, None] + torch.arange(region, device=device)
    inside = (query + radius).clamp(max=length - 1) - \
        (query - radius).clamp(min=0) + 1
    return dict(query=query, key=key, inside=inside)


def local_attention(query: torch.Tensor,
                    key: torch.Tensor,
                    value: torch.Tensor,
                    window_size: int,
                    tile_size: int = 16,
                    mask_outside: bool = False,
                    scale: float = 1.0) -> torch.Tensor:
    r"""Dot-product attention of every pixel over its ``k x k`` window.

    .. math::
        A(p) = \sum_{o \in [-r, r]^2}
        \operatorname{softmax}_o\big(s\, Q(p) \cdot K(p + o)\big)\, V(p + o)

    with ``r = k // 2``. Keys and values outside the map are zeros: their
    similarity is 0 and they still count in the softmax (as in the authors'
    CUDA kernel), unless ``mask_outside`` leaves them out.

    Computation: the map is cut into ``tile_size`` tiles; each tile attends
    to a region of ``T + 2r`` pixels per side (cropped to the map) through
    :func:`torch.nn.functional.scaled_dot_product_attention` with a window
    mask. The ``n_out(p)`` zero keys outside the map are never built: one
    extra "null" key with logit ``log n_out(p)`` (through an extra query
    channel) adds exactly their ``n_out(p) e^0`` to the softmax. The
    memory-efficient attention kernels keep no ``[H W, k^2]`` similarity
    matrix for the backward pass. Costs for ``B x C x H x W`` maps and tile
    ``T``: about ``4 B C H W min(T + k - 1, H) min(T + k - 1, W)`` FLOPs
    (the mask wastes the part of a region outside each pixel's window) and
    about ``(2 R + 2) B C H W`` stored values (regions of keys and values
    with overlap factor ``R = ((T + k - 1) / T)^2`` at most, queries,
    output). A naive ``unfold`` stores ``2 k^2 B C H W`` values: for
    ``k = 31`` 1922 copies of the map, about 4 GB for four 64-channel 64x64
    maps, against about 75 MB here (``T = 16``); on maps no larger than a
    tile the region is the map itself.

    Args:
        query (torch.Tensor): ``[B, C, H, W]``.
        key (torch.Tensor): ``[B, C, H, W]``.
        value (torch.Tensor): ``[B, Cv, H, W]``.
        window_size (int): Odd window size ``k``.
        tile_size (int): Query tile side ``T`` (clipped to the map).
            Defaults to 16.
        mask_outside (bool): Leave positions outside the map out of the
            softmax instead of counting them as zero keys. Defaults to
            False.
        scale (float): Factor ``s`` of the dot products. Defaults to 1 (the
            authors' kernel does not scale them).

    Returns:
        torch.Tensor: ``[B, Cv, H, W]``.
    """
    _check_window(window_size, 'local_attention')
    if tile_size < 1:
        raise ValueError(f'tile_size must be >= 1, got {tile_size}.')
    batch, channels, height, width = query.shape
    value_channels = value.shape[1]
    device = query.device
    radius = window_size // 2
    # the zero keys of the padding are stood for by one "null" key whose
    # logit log(n_out) / s comes from an extra query channel; more zero
    # channels round the head size up to a multiple of 8 (which the GPU
    # attention kernels prefer)
    extra = -(channels + 1) % 8 + 1
    if radius >= height - 1 and radius >= width - 1:
        # every window holds the whole map: plain attention, no mask
        n_out = 0 if mask_outside else window_size**2 - height * width
        q = query.flatten(2).transpose(1, 2)[:, None]  # [B, 1, HW, C]
        k = key.flatten(2).transpose(1, 2)[:, None]
        v = value.flatten(2).transpose(1, 2)[:, None]
        if n_out > 0:
            q = F.pad(q, (0, extra), value=0.0)
            q[..., channels] = math.log(n_out) / scale
            k = F.pad(k, (0, extra, 0, 1))
            k[..., -1, channels] = 1.0
            v = F.pad(v, (0, 0, 0, 1))
        out = F.scaled_dot_product_attention(q, k, v, scale=scale)
        return out[:, 0].transpose(1, 2).reshape(batch, value_channels,
                                                 height, width)

    th, tw = min(tile_size, height), min(tile_size, width)
    rows = _tile_layout(height, th, radius, device)
    cols = _tile_layout(width, tw, radius, device)
    num_h, num_w = rows['query'].shape[0], cols['query'].shape[0]
    rh, rw = rows['key'].shape[1], cols['key'].shape[1]
    blocks = num_h * num_w
    pad = (0, num_w * tw - width, 0, num_h * th - height)

    # which region keys each query sees: in its window and inside the map
    def near(layout: Dict[str, torch.Tensor], length: int) -> torch.Tensor:
        offset = layout['key'][:, None, :] - layout['query'][:, :, None]
        return (offset.abs() <= radius) & (layout['key'] < length)[:, None]

    see = near(rows, height)[:, None, :, None, :, None] & \
        near(cols, width)[None, :, None, :, None, :]
    # [num_h, num_w, th, tw, rh, rw] -> [nb, L, S]
    see = see.reshape(blocks, th * tw, rh * rw)
    # zero keys outside the map, per query: n_out = k^2 - inside
    n_out = window_size**2 - rows['inside'][:, None, :, None] * \
        cols['inside'][None, :, None, :]
    n_out = n_out.reshape(blocks, th * tw, 1)
    real = (rows['query'] < height)[:, None, :, None] & \
        (cols['query'] < width)[None, :, None, :]
    real = real.reshape(blocks, th * tw, 1)
    null = (n_out > 0) & real if not mask_outside else torch.zeros_like(real)
    # padding queries (dropped at the end) may see everything
    mask = torch.cat([see, null], dim=2) | ~real

    # queries [B, nb, L, C + extra]
    q = F.pad(query, pad).view(batch, channels, num_h, th, num_w, tw)
    q = q.permute(0, 2, 4, 3, 5, 1).reshape(batch, blocks, th * tw, channels)
    log_out = torch.log(n_out.clamp(min=1).to(query.dtype)) / scale
    q = torch.cat([q, F.pad(log_out, (0, extra - 1)).expand(
        batch, -1, -1, -1)], dim=3)

    def regions(tensor: torch.Tensor) -> torch.Tensor:
        # [B, C, Hp, Wp] -> [B, C, num_h, rh, num_w, rw] -> [B, nb, S, C],
        # plus the null key (all zeros) -> [B, nb, S + 1, C]
        padded = F.pad(tensor, pad)
        gathered = padded[:, :, rows['key']][..., cols['key']]
        gathered = gathered.permute(0, 2, 4, 3, 5, 1).reshape(
            batch, blocks, rh * rw, tensor.shape[1])
        return F.pad(gathered, (0, 0, 0, 1))

    keys = regions(key)
    null_channel = keys.new_zeros(1, 1, rh * rw + 1, extra)
    null_channel[..., -1, 0] = 1  # meets the queries' log n_out / s
    keys = torch.cat([keys, null_channel.expand(batch, blocks, -1, -1)], 3)
    out = F.scaled_dot_product_attention(
        q, keys, regions(value), attn_mask=mask, scale=scale)
    out = out.reshape(batch, num_h, num_w, th, tw, value_channels)
    out = out.permute(0, 5, 1, 3, 2, 4).reshape(batch, value_channels,
                                                num_h * th, num_w * tw)
    return out[:, :, :height, :width]


class SpatialLocalAttention(BaseModule):
    """PrecipLSTM's meteorological local attention on a feature map.

    ``Q, K, V`` are 1x1 convolutions (no bias) of the input, fused into one
    convolution; every pixel attends to its ``window_size`` neighbourhood
    (see :func:`local_attention`).

    Args:
        channels (int): Channels of the input, of ``Q, K`` and ``V``.
        window_size (int): Odd window size. Defaults to 31.
        tile_size (int): Tile side of the blocked computation. Defaults to 16.
        mask_outside (bool): Hide positions outside the map instead of
            counting them as zero keys. Defaults to False.
        checkpoint (bool): While gradients are recorded, keep only ``Q, K,
            V`` for the backward pass and recompute the attention there
            (:func:`torch.utils.checkpoint.checkpoint`): about one more
            attention forward per step, in exchange for not storing the
            key/value regions and the attention kernel's expanded window
            mask (about 200 MB per step and layer for a batch of four
            64-channel 64x64 maps, window 31). Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 window_size: int = 31,
                 tile_size: int = 16,
                 mask_outside: bool = False,
                 checkpoint: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        _check_window(window_size, type(self).__name__)
        if tile_size < 1:
            raise ValueError(f'tile_size must be >= 1, got {tile_size}.')
        self.channels = channels
        self.window_size = int(window_size)
        self.tile_size = int(tile_size)
        self.mask_outside = mask_outside
        self.checkpoint = checkpoint
        self.qkv = nn.Conv2d(channels, 3 * channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend every pixel of ``x`` ``[B, C, H, W]`` to its window."""
        q, k, v = torch.split(self.qkv(x), self.channels, dim=1)
        args = (q, k, v, self.window_size, self.tile_size, self.mask_outside)
        if self.checkpoint and torch.is_grad_enabled():
            return torch_checkpoint.checkpoint(
                local_attention, *args, use_reentrant=False)
        return local_attention(*args)


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
    layer (see :func:`local_attention`): for ``k = 31``, ``T = 16``, a batch
    of 4 and 64-channel 64x64 maps (MS-RNN setting) about 9 GFLOPs. By
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
            :class:`SpatialLocalAttention`). Defaults to True.
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
        _check_window(window_size, type(self).__name__)
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
