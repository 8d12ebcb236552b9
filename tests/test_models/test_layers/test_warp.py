import pytest
import torch
import torch.nn.functional as F

from stpredict.models.layers import (bilinear_sample, flow_warp,
                                     neighbourhood_offsets, neighbourhood_warp)


def test_flow_warp_zero_flow_is_identity():
    torch.manual_seed(0)
    h = torch.randn(2, 3, 5, 7)
    torch.testing.assert_close(flow_warp(h, torch.zeros(2, 2, 5, 7)), h)


def test_flow_warp_integer_flow_shifts():
    h = torch.arange(20.0).view(1, 1, 4, 5)
    flow = torch.zeros(1, 2, 4, 5)
    flow[:, 0] = 1.0  # u = +1: read the right neighbour
    out = flow_warp(h, flow)
    expected = torch.zeros_like(h)
    expected[..., :, :4] = h[..., :, 1:]  # zeros enter at the border
    torch.testing.assert_close(out, expected)
    flow = torch.zeros(1, 2, 4, 5)
    flow[:, 1] = -2.0  # v = -2: read two rows up
    expected = torch.zeros_like(h)
    expected[..., 2:, :] = h[..., :2, :]
    torch.testing.assert_close(flow_warp(h, flow), expected)


def test_flow_warp_fractional_flow_is_bilinear():
    h = torch.tensor([[[[1.0, 3.0], [5.0, 11.0]]]])
    flow = torch.zeros(1, 2, 2, 2)
    flow[0, 0, 0, 0] = 0.5  # halfway to the right: (1 + 3) / 2
    flow[0, 1, 0, 0] = 0.5  # and halfway down: mean of the four
    flow[0, 0, 1, 1] = 0.25  # beyond the border: 0.75 * 11 + 0.25 * 0
    out = flow_warp(h, flow)
    assert out[0, 0, 0, 0].item() == pytest.approx(5.0)
    assert out[0, 0, 1, 1].item() == pytest.approx(8.25)
    assert out[0, 0, 0, 1].item() == pytest.approx(3.0)


def test_flow_warp_checks_the_flow_shape():
    with pytest.raises(ValueError, match=r'flow_warp needs .*\(1, 2, 3, 3\)'):
        flow_warp(torch.zeros(1, 1, 3, 3), torch.zeros(1, 2, 3, 4))


def test_bilinear_sample_reads_other_grids():
    # a 2x3 map read on a 1x2 grid of positions between its pixels
    h = torch.tensor([[[[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]]])
    rows = torch.tensor([[[0.5, 0.0]]])
    cols = torch.tensor([[[0.5, 2.0]]])
    out = bilinear_sample(h, rows, cols)
    torch.testing.assert_close(out, torch.tensor([[[[4.0, 4.0]]]]))


def test_neighbourhood_offsets_are_row_major():
    offsets = neighbourhood_offsets(3, torch.device('cpu'), torch.float32)
    assert offsets.shape == (9, 2)
    assert offsets[0].tolist() == [-1, -1] and offsets[1].tolist() == [-1, 0]
    assert offsets[4].tolist() == [0, 0] and offsets[8].tolist() == [1, 1]


def test_neighbourhood_warp_with_zero_offsets_reads_the_filter_taps():
    torch.manual_seed(0)
    features = torch.randn(2, 3, 5, 6)
    taps = neighbourhood_warp(features, torch.zeros(2, 18, 5, 6), 3)
    unfolded = F.unfold(features, 3, padding=1).view(2, 3, 9, 5, 6)
    torch.testing.assert_close(taps, unfolded)
    # a whole-pixel offset of (1, -2) reads the shifted pixel
    flow = torch.zeros(2, 18, 5, 6)
    flow[:, 8], flow[:, 9] = 1.0, -2.0  # tap 4 = the centre
    centre = neighbourhood_warp(features, flow, 3)[:, :, 4]
    torch.testing.assert_close(centre[:, :, :4, 2:], features[:, :, 1:, :4])
    assert centre[:, :, 4].abs().sum() == 0  # outside the map: zeros


def test_a_one_tap_neighbourhood_is_the_flow_warp():
    torch.manual_seed(0)
    features = torch.randn(2, 3, 5, 6)
    flow = torch.randn(2, 2, 5, 6) * 1.5  # (dy, dx)
    taps = neighbourhood_warp(features, flow, 1)
    assert taps.shape == (2, 3, 1, 5, 6)
    # flow_warp takes (u, v) = (dx, dy)
    torch.testing.assert_close(taps[:, :, 0], flow_warp(features,
                                                        flow.flip(1)))
    with pytest.raises(ValueError, match='neighbourhood_warp'):
        neighbourhood_warp(features, torch.zeros(2, 18, 5, 6), 1)
