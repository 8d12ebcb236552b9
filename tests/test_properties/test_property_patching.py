"""Properties of space-to-depth patching, on random shapes and patch sizes."""
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from stpredict.models.utils.patching import (frames_to_patches,
                                             patches_to_frames)

SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def frames_and_patch(draw):
    """Random frames ``[*lead, C, H, W]`` whose sides the patch divides."""
    patch = draw(st.integers(1, 4))
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    channels = draw(st.integers(1, 3))
    height = patch * draw(st.integers(1, 16 // patch))
    width = patch * draw(st.integers(1, 16 // patch))
    seed = draw(st.integers(0, 2**31 - 1))
    generator = torch.Generator().manual_seed(seed)
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    frames = torch.rand(*lead, channels, height, width, generator=generator,
                        dtype=dtype)
    return frames, patch


@SETTINGS
@given(frames_and_patch())
def test_patching_round_trip_is_exact(case):
    frames, patch = case
    patches = frames_to_patches(frames, patch)
    *lead, channels, height, width = frames.shape
    assert patches.shape == (*lead, channels * patch * patch,
                             height // patch, width // patch)
    assert patches.dtype == frames.dtype
    assert torch.equal(patches_to_frames(patches, patch), frames)


@SETTINGS
@given(frames_and_patch())
def test_patching_keeps_every_value(case):
    frames, patch = case
    patches = frames_to_patches(frames, patch)
    # the per-frame sum and the multiset of values do not change
    torch.testing.assert_close(
        patches.sum(dim=(-3, -2, -1)), frames.sum(dim=(-3, -2, -1)))
    lead = frames.shape[:-3]
    assert torch.equal(
        patches.reshape(*lead, -1).sort(dim=-1).values,
        frames.reshape(*lead, -1).sort(dim=-1).values)


@SETTINGS
@given(frames_and_patch())
def test_patch_channels_hold_pixel_blocks(case):
    frames, patch = case
    patches = frames_to_patches(frames, patch)
    channels = frames.shape[-3]
    # channel (row * p + col) * C + c of patch (i, j) is pixel
    # (i * p + row, j * p + col) of channel c
    row, col = patch - 1, 0
    for c in range(channels):
        index = (row * patch + col) * channels + c
        assert torch.equal(patches[..., index, :, :],
                           frames[..., c, row::patch, col::patch])


@SETTINGS
@given(st.integers(2, 5), st.integers(1, 16), st.integers(1, 16),
       st.integers(1, 3))
def test_non_dividing_patch_size_names_the_sizes(patch, height, width,
                                                 channels):
    frames = torch.zeros(2, channels, height, width)
    if height % patch == 0 and width % patch == 0:
        assert frames_to_patches(frames, patch).shape[-1] == width // patch
        return
    with pytest.raises(ValueError) as info:
        frames_to_patches(frames, patch)
    message = str(info.value)
    assert f'{height}x{width}' in message
    assert f'patch size {patch}' in message


@SETTINGS
@given(st.integers(2, 4), st.integers(1, 20))
def test_unpatching_needs_a_channel_multiple(patch, channels):
    patches = torch.zeros(1, channels, 2, 2)
    if channels % (patch * patch) == 0:
        frames = patches_to_frames(patches, patch)
        assert frames.shape == (1, channels // patch**2, 2 * patch,
                                2 * patch)
        return
    with pytest.raises(ValueError, match=f'{channels} channels'):
        patches_to_frames(patches, patch)


def test_patch_size_below_one_is_refused():
    with pytest.raises(ValueError, match='patch_size must be >= 1'):
        frames_to_patches(torch.zeros(1, 1, 4, 4), 0)
