import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.cms_lstm import CMSLSTMCell
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

FLYING = 'configs/cmslstm/cmslstm_4x64_flying2digits-10to10.py'
MSRNN = 'configs/_base_/models/cmslstm_6x64_msrnn.py'


def conv(x, weight, bias=None):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def patch_attention(h, c, w_q, b_q, w_k, b_k, w_v, b_v, scale):
    """Self-attention among the H and C tokens of every s x s patch, written
    out patch by patch (tokens are pixels, features their channels)."""
    batch, channels, height, width = h.shape
    ph, pw = height // scale, width // scale
    out_h, out_c = torch.zeros_like(h), torch.zeros_like(c)
    for b in range(batch):
        for pi in range(scale):
            for pj in range(scale):
                rows = slice(pi * ph, (pi + 1) * ph)
                cols = slice(pj * pw, (pj + 1) * pw)
                # [2 * ph * pw, C]: the H tokens, then the C tokens
                tokens = torch.cat([
                    h[b, :, rows, cols].reshape(channels, -1).T,
                    c[b, :, rows, cols].reshape(channels, -1).T
                ])
                q = tokens @ w_q.T + b_q
                k = tokens @ w_k.T + b_k
                v = tokens @ w_v.T + b_v
                attended = torch.softmax(q @ k.T, dim=1) @ v
                half = ph * pw
                out_h[b, :, rows, cols] = attended[:half].T.reshape(
                    channels, ph, pw)
                out_c[b, :, rows, cols] = attended[half:].T.reshape(
                    channels, ph, pw)
    return out_h, out_c


def reference_step(cell, x, h, c):
    """Chai et al.'s equations with one convolution per gate and input."""
    hid, cin = cell.hidden_channels, cell.in_channels
    sig, tanh = torch.sigmoid, torch.tanh
    # context embedding: X and H gate each other, W_Q and W_R shared
    x_ce, h_ce = x, h
    for r in range(1, cell.ce_iterations + 1):
        if r % 2:
            x_ce = 2 * sig(conv(h_ce, cell.conv_q.weight,
                                cell.conv_q.bias)) * x_ce
        else:
            h_ce = 2 * sig(conv(x_ce, cell.conv_r.weight,
                                cell.conv_r.bias)) * h_ce
    # ConvLSTM gates: W_x * X + W_h * H + b, one gate at a time
    w, b = cell.gate_conv.weight, cell.gate_conv.bias
    gates = [
        conv(x_ce, w[j * hid:(j + 1) * hid, :cin], b[j * hid:(j + 1) * hid]) +
        conv(h_ce, w[j * hid:(j + 1) * hid, cin:]) for j in range(4)
    ]
    i, f, g, o = gates
    c_hat = sig(f + cell.forget_bias) * c + sig(i) * tanh(g)
    h_hat = sig(o) * tanh(c_hat)
    # spatiotemporal expression
    se = cell.expression
    w_qkv = se.qkv.weight[:, :, 0, 0]
    b_qkv = se.qkv.bias
    att_h, att_c = [], []
    for index, scale in enumerate(se.scales):
        base = 3 * hid * index
        parts = [(w_qkv[base + j * hid:base + (j + 1) * hid],
                  b_qkv[base + j * hid:base + (j + 1) * hid])
                 for j in range(3)]
        a_h, a_c = patch_attention(h_hat, c_hat, *parts[0], *parts[1],
                                   *parts[2], scale)
        att_h.append(a_h + h_hat)
        att_c.append(a_c + c_hat)
    # W_f on the H half and the C half alike, one kernel per scale's slice
    w_f, b_f = se.conv_fuse.weight, se.conv_fuse.bias

    def fuse(parts):
        return sum(
            conv(part, w_f[:, j * hid:(j + 1) * hid])
            for j, part in enumerate(parts)) + b_f.view(1, -1, 1, 1)

    z_h, z_c = fuse(att_h), fuse(att_c)
    w_z = se.conv_z.weight
    z = conv(z_h, w_z[:, :hid]) + conv(z_c, w_z[:, hid:]) + \
        se.conv_z.bias.view(1, -1, 1, 1)
    w_g, b_g = se.conv_gates.weight, se.conv_gates.bias
    i2, g2, o2 = [
        conv(h_hat, w_g[j * hid:(j + 1) * hid, :hid],
             b_g[j * hid:(j + 1) * hid]) +
        conv(z, w_g[j * hid:(j + 1) * hid, hid:]) for j in range(3)
    ]
    c_new = (1 - sig(i2)) * c_hat + sig(i2) * tanh(g2)
    h_new = sig(o2) * c_new
    return h_new, c_new


def test_one_step_matches_the_equations():
    torch.manual_seed(0)
    cell = CMSLSTMCell(2, 3, kernel_size=3, forget_bias=0.5)
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.3)
    x = torch.randn(2, 2, 4, 8)
    h, c = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 4, 8)
    states, memory, aux = cell(x, dict(h=h, c=c))
    h_ref, c_ref = reference_step(cell, x, h, c)
    torch.testing.assert_close(states['h'], h_ref)
    torch.testing.assert_close(states['c'], c_ref)
    assert memory is None and aux == {}


def test_parameters_at_the_msrnn_setting():
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(MSRNN).model)
    count = sum(p.numel() for p in model.parameters())
    assert count == 4_480_705
    assert abs(count - 4.48e6) / 4.48e6 < 0.03  # MS-RNN Table 6: 4.48M


def test_frame_multiple_follows_the_patch_grids():
    cell = CMSLSTMCell(3, 5, kernel_size=3)
    assert cell.frame_multiple == 4  # patch grids 1, 2, 4
    bad = torch.zeros(1, 3, 6, 6)
    with pytest.raises(ValueError, match='divisible by 4'):
        cell(bad, dict(h=torch.zeros(1, 5, 6, 6), c=torch.zeros(1, 5, 6, 6)))
    with pytest.raises(ValueError, match='divisible by 4'):
        cell.init_states(bad)
    # other patch grids work on other sizes
    other = CMSLSTMCell(3, 5, kernel_size=3, se_scales=(1, 3))
    assert other.frame_multiple == 3
    out, _, _ = other(bad, other.init_states(bad))
    assert out['c'].shape == (1, 5, 6, 6)
    assert CMSLSTMCell(3, 5, se_scales=(2, 3)).frame_multiple == 6


def test_fused_convolution_shapes():
    cell = CMSLSTMCell(16, 8)
    # one convolution on [X, H] gives the four gates; Q, K, V of the three
    # patch scales come from one 1x1 convolution
    assert cell.gate_conv.weight.shape == (32, 24, 5, 5)
    assert cell.expression.qkv.weight.shape == (72, 8, 1, 1)
