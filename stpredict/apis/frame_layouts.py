"""Frame layouts: checking an array against a stated layout, converting
between layouts, channel counts and dtypes.

A layout names the axes of an array of frames: B sequences, T frames,
C channels, H height, W width. The model works on ``[B, T, C, H, W]``.
"""
from typing import Any, Sequence

import numpy as np
import torch

#: Frame layouts :func:`forecast` accepts (B: sequences, T: frames,
#: C: channels, H: height, W: width).
LAYOUTS = ('THW', 'THWC', 'TCHW', 'BTHW', 'BTHWC', 'BTCHW')
#: The layout of arrays when none is given: one sequence, channels last.
DEFAULT_LAYOUT = 'THWC'
#: Channel counts that can be converted to a model's channels.
CONVERTIBLE_CHANNELS = (1, 3, 4)
#: Weights of R, G and B in a gray value (ITU-R BT.601, as OpenCV uses).
GRAY_WEIGHTS = (0.299, 0.587, 0.114)


def check_layout(shape: Sequence[int],
                 layout: str,
                 channels: int) -> str:
    """Check that an array of ``shape`` can be read in ``layout``.

    Args:
        shape (Sequence[int]): The array's shape.
        layout (str): One of :data:`LAYOUTS`.
        channels (int): The model's channels (a channel axis must hold 1,
            3, 4 or that many).

    Returns:
        str: ``layout``.

    Raises:
        ValueError: Naming the shape, the layout and how to fix it.
    """
    shape = tuple(int(size) for size in shape)
    if layout not in LAYOUTS:
        raise ValueError(
            f'layout must be one of {LAYOUTS} (B: sequences, T: frames, C: '
            f'channels, H: height, W: width), but got {layout!r}.')
    same_rank = [lay for lay in LAYOUTS if len(lay) == len(shape)]
    if len(shape) != len(layout):
        hint = (f'pass one of {same_rank} as layout= (tools/infer.py '
                '--layout)' if same_rank else
                'give one sequence [T, H, W(, C)] or a batch [B, T, ...]')
        raise ValueError(
            f'Frames of shape {shape} have {len(shape)} dimensions, but '
            f'layout {layout!r} has {len(layout)}: {hint}.')
    allowed = sorted(set(CONVERTIBLE_CHANNELS) | {channels})
    if 'C' in layout and shape[layout.index('C')] not in allowed:
        fits = [
            lay for lay in same_rank
            if 'C' not in lay or shape[lay.index('C')] in allowed
        ]
        hint = (f'if the axes are in another order, pass layout= one of '
                f'{fits} (tools/infer.py --layout)' if fits else
                'give frames with that many channels')
        raise ValueError(
            f'Frames of shape {shape} read as {layout!r} have '
            f'{shape[layout.index("C")]} channels, but a channel axis must '
            f'hold one of {allowed} (gray, RGB, RGBA or the model\'s '
            f'{channels}): {hint}.')
    return layout


def to_btchw(frames: torch.Tensor, layout: str) -> torch.Tensor:
    """Any of :data:`LAYOUTS` to ``[B, T, C, H, W]``."""
    if 'B' not in layout:
        frames, layout = frames.unsqueeze(0), 'B' + layout
    if 'C' not in layout:
        frames, layout = frames.unsqueeze(-1), layout + 'C'
    return frames.permute(*[layout.index(axis) for axis in 'BTCHW'])


def to_layout(frames: torch.Tensor, layout: str) -> torch.Tensor:
    """Frames ``[B, T, C, H, W]`` in ``layout`` (one of :data:`LAYOUTS`).

    A layout without ``B`` takes the only sequence; a layout without ``C``
    drops a single channel and puts several last (``THW`` -> ``THWC``).

    Args:
        frames (torch.Tensor): ``[B, T, C, H, W]``.
        layout (str): The target layout.

    Returns:
        torch.Tensor: A view of ``frames`` in ``layout``.
    """
    target = layout
    if 'C' not in target and frames.shape[2] > 1:
        target += 'C'
    full = target if 'B' in target else 'B' + target
    order = full if 'C' in full else full + 'C'
    frames = frames.permute(*['BTCHW'.index(axis) for axis in order])
    if 'C' not in full:
        frames = frames.squeeze(-1)
    if 'B' not in target:
        frames = frames.squeeze(0)
    return frames


def convert_channels(frames: torch.Tensor, channels: int) -> torch.Tensor:
    """``[B, T, C, H, W]`` from ``C`` to the model's ``channels``."""
    have = frames.shape[2]
    if have == channels:
        return frames
    if channels == 1 and have in (3, 4):  # RGB(A) -> gray
        weights = torch.tensor(GRAY_WEIGHTS, dtype=torch.float32)
        gray = (frames[:, :, :3].float() * weights.view(1, 1, 3, 1, 1)).sum(
            dim=2, keepdim=True)
        if frames.dtype == torch.uint8:
            return gray.round().clamp(0, 255).to(torch.uint8)
        return gray.clamp(0, 1)
    if channels == 3 and have == 1:  # gray -> RGB
        return frames.expand(-1, -1, 3, -1, -1).contiguous()
    if channels == 3 and have == 4:  # RGBA -> RGB
        return frames[:, :, :3].contiguous()
    raise ValueError(
        f'The frames have {have} channel(s) but the model takes {channels}; '
        'only gray <-> RGB(A) conversions are automatic. Give frames with '
        f'{channels} channel(s).')


def as_frame_tensor(frames: Any) -> torch.Tensor:
    """An array, tensor or list of frames as a CPU tensor of uint8 or
    float32 (values checked to lie in [0, 1])."""
    if isinstance(frames, torch.Tensor):
        tensor = frames.detach().cpu()
    else:
        if isinstance(frames, (list, tuple)):
            frames = np.stack([np.asarray(frame) for frame in frames])
        array = np.asarray(frames)
        if array.dtype != np.uint8 and array.dtype.kind != 'f':
            raise TypeError(dtype_help(array.dtype))
        tensor = torch.from_numpy(
            np.ascontiguousarray(array, dtype=None if array.dtype ==
                                 np.uint8 else np.float32))
    if tensor.dtype == torch.uint8:
        return tensor
    if tensor.is_floating_point():
        tensor = tensor.float()
        if tensor.numel():
            low, high = float(tensor.min()), float(tensor.max())
            if not (low >= 0.0 and high <= 1.0):
                raise ValueError(
                    f'Float frames must lie in [0, 1] but lie in [{low}, '
                    f'{high}]. Divide 8-bit values by 255 or give uint8 '
                    'frames.')
        return tensor
    raise TypeError(dtype_help(tensor.dtype))


def dtype_help(dtype: Any) -> str:
    return (f'Frames of dtype {dtype} are not supported; give uint8 (0-255) '
            'or float frames in [0, 1] (e.g. frames.astype(np.uint8) for '
            '8-bit values stored as integers).')
