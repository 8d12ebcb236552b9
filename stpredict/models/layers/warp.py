"""Bilinear warps of feature maps by learned offsets.

One sampling rule serves both warps: a map is read at fractional pixel
positions with bilinear interpolation and zeros outside it
(:func:`bilinear_sample`). TrajGRU moves every pixel by one flow vector
(:func:`flow_warp`); MotionRNN's MotionGRU moves every tap of a ``k x k``
filter by its own offset, as a deformable convolution does
(:func:`neighbourhood_warp`). With ``k = 1`` the two are the same warp.
"""
import torch
import torch.nn.functional as F


def bilinear_sample(features: torch.Tensor, rows: torch.Tensor,
                    cols: torch.Tensor) -> torch.Tensor:
    """Read ``features`` at fractional pixel positions.

    ``out[b, c, i, j]`` is ``features[b, c]`` at row ``rows[b, i, j]`` and
    column ``cols[b, i, j]`` (pixel units, pixel ``k`` at ``k``), with
    bilinear interpolation and zeros outside the map.

    Args:
        features (torch.Tensor): Maps ``[B, C, H, W]``.
        rows (torch.Tensor): Row positions ``[B, H', W']``.
        cols (torch.Tensor): Column positions ``[B, H', W']``.

    Returns:
        torch.Tensor: ``[B, C, H', W']``.
    """
    height, width = features.shape[-2:]
    # pixel index -> [-1, 1] with align_corners=False: the centre of pixel
    # k sits at (2k + 1) / size - 1, exact for any size (even size 1)
    grid = torch.stack([(2 * cols + 1) / width - 1,
                        (2 * rows + 1) / height - 1],
                       dim=-1)
    return F.grid_sample(
        features,
        grid,
        mode='bilinear',
        padding_mode='zeros',
        align_corners=False)


def flow_warp(inputs: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Bilinearly sample ``inputs`` at every pixel displaced by ``flow``.

    ``out[b, c, i, j] = inputs[b, c, i + v[b, i, j], j + u[b, i, j]]`` with
    bilinear interpolation and zeros outside the frame (the warp of Shi et
    al. 2017, Eq. 3: ``sum_{m,n} I[c, m, n] max(0, 1 - |i + V_ij - m|)
    max(0, 1 - |j + U_ij - n|)``). A zero flow is the identity; an integer
    flow shifts the map.

    Args:
        inputs (torch.Tensor): Maps ``[B, C, H, W]``.
        flow (torch.Tensor): Displacements in pixels ``[B, 2, H, W]``:
            channel 0 is the horizontal ``u`` (along W), channel 1 the
            vertical ``v`` (along H).

    Returns:
        torch.Tensor: The warped maps ``[B, C, H, W]``.
    """
    batch, _, height, width = inputs.shape
    if flow.shape != (batch, 2, height, width):
        raise ValueError(
            f'flow_warp needs a flow of shape {(batch, 2, height, width)} '
            f'for inputs of shape {tuple(inputs.shape)}, got '
            f'{tuple(flow.shape)}.')
    cols = torch.arange(width, device=inputs.device, dtype=inputs.dtype)
    rows = torch.arange(height, device=inputs.device, dtype=inputs.dtype)
    x = cols.view(1, 1, width) + flow[:, 0]
    y = rows.view(1, height, 1) + flow[:, 1]
    return bilinear_sample(inputs, y, x)


def neighbourhood_offsets(neighbourhood: int, device: torch.device,
                          dtype: torch.dtype) -> torch.Tensor:
    """Grid offsets ``(dy, dx)`` of the taps of a ``k x k`` filter.

    Args:
        neighbourhood (int): Odd filter size ``k``.
        device (torch.device): Device of the result.
        dtype (torch.dtype): Dtype of the result.

    Returns:
        torch.Tensor: ``[k*k, 2]``, row-major (``dy`` outer, ``dx`` inner),
        from ``(-(k//2), -(k//2))`` to ``(k//2, k//2)``.
    """
    half = neighbourhood // 2
    steps = torch.arange(-half, half + 1, device=device, dtype=dtype)
    dy, dx = torch.meshgrid(steps, steps, indexing='ij')
    return torch.stack([dy.reshape(-1), dx.reshape(-1)], dim=1)


def neighbourhood_warp(features: torch.Tensor, flow: torch.Tensor,
                       neighbourhood: int) -> torch.Tensor:
    """Sample every tap of a ``k x k`` filter at a learned offset.

    Tap ``n`` of the filter centred at pixel ``p`` reads ``features`` at
    ``p + p_n + flow_n(p)`` (``p_n`` its grid offset) with bilinear
    interpolation and zeros outside the map, as in a deformable convolution.
    Note the order of the offsets: ``(dy, dx)`` here, ``(u, v) = (dx, dy)``
    in :func:`flow_warp`.

    Args:
        features (torch.Tensor): ``[B, C, H, W]``.
        flow (torch.Tensor): ``[B, 2*k*k, H, W]``: ``(dy, dx)`` of tap
            ``n`` in channels ``2n, 2n+1`` (taps row-major).
        neighbourhood (int): Odd filter size ``k``.

    Returns:
        torch.Tensor: ``[B, C, k*k, H, W]``, the sampled taps.
    """
    batch, channels, height, width = features.shape
    taps = neighbourhood * neighbourhood
    if flow.shape != (batch, 2 * taps, height, width):
        raise ValueError(
            f'neighbourhood_warp with a {neighbourhood}x{neighbourhood} '
            f'filter needs a flow of shape {(batch, 2 * taps, height, width)}'
            f' for features of shape {tuple(features.shape)}, got '
            f'{tuple(flow.shape)}.')
    flow = flow.reshape(batch, taps, 2, height, width)
    base = neighbourhood_offsets(neighbourhood, flow.device, flow.dtype)
    rows = torch.arange(height, device=flow.device, dtype=flow.dtype)
    cols = torch.arange(width, device=flow.device, dtype=flow.dtype)
    pos_y = rows.view(1, 1, height, 1) + base[:, 0].view(1, taps, 1, 1) + \
        flow[:, :, 0]
    pos_x = cols.view(1, 1, 1, width) + base[:, 1].view(1, taps, 1, 1) + \
        flow[:, :, 1]
    # all taps in one sampling: the taps stacked along the rows
    sampled = bilinear_sample(features,
                              pos_y.reshape(batch, taps * height, width),
                              pos_x.reshape(batch, taps * height, width))
    return sampled.reshape(batch, channels, taps, height, width)
