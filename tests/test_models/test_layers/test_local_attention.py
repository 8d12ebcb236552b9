import pytest
import torch
import torch.nn.functional as F

from stpredict.models.layers import SpatialLocalAttention, local_attention


def naive_local_attention(q, k, v, window, mask_outside):
    """Every pixel's window gathered with unfold (k*k copies of K and V)."""
    batch, channels, height, width = q.shape
    pad = window // 2
    keys = F.unfold(k, window, padding=pad).view(batch, channels, -1,
                                                 height * width)
    values = F.unfold(v, window, padding=pad).view(batch, v.shape[1], -1,
                                                   height * width)
    sim = torch.einsum('bcp,bckp->bkp', q.flatten(2), keys)
    if mask_outside:
        inside = F.unfold(
            torch.ones(1, 1, height, width), window, padding=pad)
        sim = sim.masked_fill(inside == 0, float('-inf'))
    weights = sim.softmax(dim=1)
    out = torch.einsum('bkp,bckp->bcp', weights, values)
    return out.view(batch, -1, height, width)


def test_blocked_local_attention_equals_unfold():
    torch.manual_seed(1)
    q, k, v = (torch.randn(2, c, 11, 9, dtype=torch.float64)
               for c in (4, 4, 3))
    # tiles smaller / larger than the map, windows smaller / larger too
    for window, tile in [(1, 4), (3, 4), (7, 5), (9, 16), (31, 16)]:
        for mask_outside in (False, True):
            torch.testing.assert_close(
                local_attention(q, k, v, window, tile, mask_outside),
                naive_local_attention(q, k, v, window, mask_outside))


def test_window_of_one_reads_the_own_value():
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 4, 5) for _ in range(3))
    torch.testing.assert_close(local_attention(q, k, v, 1), v)


def test_scale_multiplies_the_dot_products():
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 2, 6, 6, dtype=torch.float64)
               for _ in range(3))
    torch.testing.assert_close(
        local_attention(q, k, v, 3, tile_size=4, scale=0.5),
        naive_local_attention(0.5 * q, k, v, 3, False))


def test_windows_must_be_odd_and_tiles_positive():
    q = torch.zeros(1, 2, 4, 4)
    with pytest.raises(ValueError, match='odd'):
        local_attention(q, q, q, 4)
    with pytest.raises(ValueError, match='tile_size'):
        local_attention(q, q, q, 3, tile_size=0)
    with pytest.raises(ValueError, match='SpatialLocalAttention.*odd'):
        SpatialLocalAttention(2, window_size=30)


def test_layer_attends_its_1x1_projections_and_recomputes_alike():
    outputs, grads = [], []
    for checkpoint in (True, False):
        torch.manual_seed(0)
        layer = SpatialLocalAttention(
            3, window_size=5, tile_size=4, checkpoint=checkpoint)
        x = torch.randn(2, 3, 7, 6)
        out = layer(x)
        out.square().sum().backward()
        outputs.append(out.detach())
        grads.append(layer.qkv.weight.grad)
    torch.testing.assert_close(outputs[0], outputs[1])
    torch.testing.assert_close(grads[0], grads[1])
    assert layer.qkv.weight.shape == (9, 3, 1, 1)  # Q, K, V fused, no bias
    q, k, v = torch.split(layer.qkv(x), 3, dim=1)
    torch.testing.assert_close(outputs[1],
                               naive_local_attention(q, k, v, 5, False))
