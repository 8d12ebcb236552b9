import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.trajgru import TrajGRUCell
from stpredict.models.layers import flow_warp
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

FLYING_CONFIG = 'configs/trajgru/trajgru_4x64_flying2digits-10to10.py'
MSRNN_MODEL = 'configs/_base_/models/trajgru_6x64_msrnn.py'


def paper_warp(inputs, u, v):
    """Shi et al. 2017, Eq. 3: M[c, i, j] = sum_{m, n} I[c, m, n]
    max(0, 1 - |i + V_ij - m|) max(0, 1 - |j + U_ij - n|)."""
    _, _, height, width = inputs.shape
    i = torch.arange(height, dtype=inputs.dtype).view(1, height, 1, 1)
    j = torch.arange(width, dtype=inputs.dtype).view(1, 1, width, 1)
    m = torch.arange(height, dtype=inputs.dtype).view(1, 1, 1, height)
    n = torch.arange(width, dtype=inputs.dtype).view(1, 1, 1, width)
    w_rows = torch.clamp(1 - (i + v.unsqueeze(-1) - m).abs(), min=0)
    w_cols = torch.clamp(1 - (j + u.unsqueeze(-1) - n).abs(), min=0)
    return torch.einsum('bijm,bijn,bcmn->bcij', w_rows, w_cols, inputs)


def test_flow_warp_is_eq_3():
    torch.manual_seed(0)
    h = torch.randn(1, 2, 4, 5)
    u, v = torch.randn(1, 4, 5).mul(1.5), torch.randn(1, 4, 5).mul(1.5)
    torch.testing.assert_close(
        flow_warp(h, torch.stack([u, v], dim=1)), paper_warp(h, u, v))


def reference_trajgru_step(cell, x, h):
    """Eq. 3 of the TrajGRU paper with one convolution per weight."""
    hid, links = cell.hidden_channels, cell.num_links
    cin = x.shape[1]
    pad = cell.input_conv.weight.shape[-1] // 2
    w_in, b_in = cell.input_conv.weight, cell.input_conv.bias
    w_xz, w_xr, w_xh = w_in[:hid], w_in[hid:2 * hid], w_in[2 * hid:]
    b_z, b_r, b_h = b_in[:hid], b_in[hid:2 * hid], b_in[2 * hid:]
    # gamma: one hidden layer, W_fx * X + W_fh * H, leaky ReLU, conv to flows
    w_f, b_f = cell.flow_hidden_conv.weight, cell.flow_hidden_conv.bias
    fpad = w_f.shape[-1] // 2
    hidden = F.leaky_relu(
        F.conv2d(x, w_f[:, :cin], padding=fpad) +
        F.conv2d(h, w_f[:, cin:], padding=fpad) + b_f.view(1, -1, 1, 1), 0.2)
    flows = F.conv2d(
        hidden, cell.flow_conv.weight, cell.flow_conv.bias, padding=fpad)
    w_link, b_link = cell.link_conv.weight, cell.link_conv.bias
    sum_z = b_link[:hid].view(1, -1, 1, 1)
    sum_r = b_link[hid:2 * hid].view(1, -1, 1, 1)
    sum_h = b_link[2 * hid:].view(1, -1, 1, 1)
    for link in range(links):
        u, v = flows[:, 2 * link], flows[:, 2 * link + 1]
        warped = paper_warp(h, u, v)
        cols = slice(link * hid, (link + 1) * hid)
        sum_z = sum_z + F.conv2d(warped, w_link[:hid, cols])
        sum_r = sum_r + F.conv2d(warped, w_link[hid:2 * hid, cols])
        sum_h = sum_h + F.conv2d(warped, w_link[2 * hid:, cols])

    def conv_x(w, b):
        return F.conv2d(x, w, b, padding=pad)

    z = torch.sigmoid(conv_x(w_xz, b_z) + sum_z)
    r = torch.sigmoid(conv_x(w_xr, b_r) + sum_r)
    h_prime = F.leaky_relu(conv_x(w_xh, b_h) + r * sum_h, 0.2)
    return (1 - z) * h_prime + z * h


def test_one_step_matches_the_equations():
    torch.manual_seed(0)
    cell = TrajGRUCell(
        2, 3, kernel_size=3, num_links=3, flow_channels=4,
        flow_kernel_size=3).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.5)  # flows of about a pixel or more
    x = torch.randn(2, 2, 5, 6, dtype=torch.float64)
    h = torch.randn(2, 3, 5, 6, dtype=torch.float64)
    states, memory, aux = cell(x, dict(h=h))
    torch.testing.assert_close(states['h'], reference_trajgru_step(cell, x, h))
    assert set(states) == {'h'} and memory is None and aux == {}
    flows = cell.flows(x, h)
    assert flows.abs().max() > 1.0  # the test exercises real warps


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='activation'):
        TrajGRUCell(1, 4, activation='relu6')
    with pytest.raises(ValueError, match='num_links'):
        TrajGRUCell(1, 4, num_links=0)
    with pytest.raises(ValueError, match='flow_kernel_size'):
        TrajGRUCell(1, 4, flow_kernel_size=4)


def test_params_at_the_msrnn_setting_match_table_6():
    """MS-RNN Table 6 (TaxiBJ, 2 channels): TrajGRU has 2.11M parameters."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(MSRNN_MODEL).model
    cfg.in_channels = 2
    model = MODELS.build(cfg)
    count = sum(p.numel() for p in model.parameters())
    assert abs(count - 2.11e6) / 2.11e6 < 0.03
    # per layer: 110,784 (X -> gates) + 102,432 (flow hidden, 5x5, 32 maps)
    # + 16,020 (flows, 2 x 10) + 123,072 (10 links x 64 -> 192, 1x1);
    # + stem 192 + head 130
    assert count == 2_114_170


def test_convolution_shapes():
    cell = TrajGRUCell(2, 8, num_links=5)
    assert cell.input_conv.weight.shape == (24, 2, 3, 3)
    assert cell.flow_hidden_conv.weight.shape == (32, 10, 5, 5)
    assert cell.flow_conv.weight.shape == (10, 32, 5, 5)
    assert cell.link_conv.weight.shape == (24, 40, 1, 1)
