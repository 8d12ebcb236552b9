import pytest
import torch

from stpredict.models.utils import frames_to_patches, patches_to_frames


def test_known_layout():
    # one 1-channel 4x4 frame, patch 2: channel k = (row in block, col in
    # block) in row-major order
    frame = torch.arange(16.0).view(1, 4, 4)
    patched = frames_to_patches(frame, 2)
    assert patched.shape == (4, 2, 2)
    assert patched[:, 0, 0].tolist() == [0.0, 1.0, 4.0, 5.0]
    assert patched[:, 1, 1].tolist() == [10.0, 11.0, 14.0, 15.0]
    assert patched[0].tolist() == [[0.0, 2.0], [8.0, 10.0]]


def test_channel_order_is_block_then_channel():
    frame = torch.stack([torch.zeros(2, 2), torch.ones(2, 2)])  # C=2
    patched = frames_to_patches(frame, 2)
    # (row, col, channel): channel alternates fastest
    assert patched[:, 0, 0].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0,
                                         1.0]


@pytest.mark.parametrize('shape,p', [((2, 3, 1, 8, 8), 4),
                                     ((5, 3, 6, 4), 2), ((2, 12, 12), 3),
                                     ((1, 1, 4, 4), 1)])
def test_round_trip(shape, p):
    x = torch.randn(*shape)
    patched = frames_to_patches(x, p)
    *lead, c, h, w = shape
    assert patched.shape == (*lead, c * p * p, h // p, w // p)
    torch.testing.assert_close(patches_to_frames(patched, p), x)
    # patching only rearranges elements
    assert torch.equal(patched.flatten().sort().values,
                       x.flatten().sort().values)


def test_indivisible_size_names_the_fix():
    with pytest.raises(ValueError, match='not divisible by the patch size 4'):
        frames_to_patches(torch.zeros(1, 1, 10, 8), 4)
