"""Local attention: every pixel attends to its ``k x k`` neighbourhood.

PrecipLSTM's spatial local attention memory (SLAM) is built on it; any cell
that needs a windowed attention over a feature map can use
:func:`local_attention` or the :class:`SpatialLocalAttention` layer (1x1
``Q, K, V`` on a map, recomputed in the backward pass by default).
"""
import math
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch.utils import checkpoint as torch_checkpoint


def check_window_size(window_size: int, owner: str) -> None:
    """Refuse windows that cannot be centred on a pixel.

    Args:
        window_size (int): The window side ``k``.
        owner (str): Who asks (named in the error).

    Raises:
        ValueError: If ``k`` is not an odd integer >= 1.
    """
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

    Args:
        length (int): Height (or width) of the map.
        tile (int): Tile side.
        radius (int): Window radius ``k // 2``.
        device (torch.device): Device of the index tensors.

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
    check_window_size(window_size, 'local_attention')
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
        check_window_size(window_size, type(self).__name__)
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
