"""Space-to-depth patching of frames (PredRNN's ``reshape_patch``).

A frame ``[C, H, W]`` becomes ``[p * p * C, H / p, W / p]``: every ``p x p``
block of pixels is stacked into channels, in the order (row in block, column
in block, channel), i.e. the layout ``(H/p, p, W/p, p, C) -> (H/p, W/p,
p*p*C)`` of channels-last frames. Patching changes no values, so a per-frame
sum over all elements is the same before and after.
"""
import torch


def _check_divisible(height: int, width: int, patch_size: int) -> None:
    if patch_size < 1:
        raise ValueError(f'patch_size must be >= 1, got {patch_size}.')
    if height % patch_size or width % patch_size:
        raise ValueError(
            f'Frame size {height}x{width} is not divisible by the patch size '
            f'{patch_size}. Fix: choose a patch_size that divides both sides '
            '(data_preprocessor.patch_size), or resize the frames in the '
            'dataset.')


def frames_to_patches(frames: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Stack ``p x p`` pixel blocks into channels.

    Args:
        frames (torch.Tensor): Frames ``[..., C, H, W]``.
        patch_size (int): The block side ``p``; 1 returns the input.

    Returns:
        torch.Tensor: Patched frames ``[..., p * p * C, H / p, W / p]``.
    """
    if patch_size == 1:
        return frames
    *lead, channels, height, width = frames.shape
    _check_divisible(height, width, patch_size)
    p = patch_size
    x = frames.reshape(*lead, channels, height // p, p, width // p, p)
    n = len(lead)
    # [..., C, H/p, p, W/p, p] -> [..., p(row), p(col), C, H/p, W/p]
    x = x.permute(*range(n), n + 2, n + 4, n, n + 1, n + 3)
    return x.reshape(*lead, p * p * channels, height // p, width // p)


def patches_to_frames(patches: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Inverse of :func:`frames_to_patches`.

    Args:
        patches (torch.Tensor): Patched frames ``[..., p * p * C, h, w]``.
        patch_size (int): The block side ``p``; 1 returns the input.

    Returns:
        torch.Tensor: Frames ``[..., C, h * p, w * p]``.
    """
    if patch_size == 1:
        return patches
    *lead, channels, height, width = patches.shape
    p = patch_size
    if channels % (p * p):
        raise ValueError(
            f'{channels} channels cannot be un-patched with patch size {p}: '
            f'the channel count must be a multiple of {p * p}.')
    frame_channels = channels // (p * p)
    x = patches.reshape(*lead, p, p, frame_channels, height, width)
    n = len(lead)
    # [..., p(row), p(col), C, h, w] -> [..., C, h, p(row), w, p(col)]
    x = x.permute(*range(n), n + 2, n + 3, n, n + 4, n + 1)
    return x.reshape(*lead, frame_channels, height * p, width * p)
