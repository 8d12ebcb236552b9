from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.mim import MIMCell
from stpredict.models.cells.motionrnn import MotionGRU, MotionMIMCell
from stpredict.registry import CELLS, MODELS
from stpredict.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[3]


def conv(x, weight, bias=None):
    """A 'same' convolution with one weight slice."""
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def col(bias):
    return bias.view(1, -1, 1, 1)


def slices(layer, gates, inputs):
    """Split a fused convolution into ``w[gate][input]`` and ``b[gate]``."""
    layer = getattr(layer, 'conv', layer)
    rows = layer.weight.chunk(gates, dim=0)
    w = [torch.split(row, inputs, dim=1) for row in rows]
    b = layer.bias.chunk(gates) if layer.bias is not None else [None] * gates
    return w, b


def bilinear(features, pos_y, pos_x):
    """Bilinear sampling at pixel coordinates, zeros outside (by hand)."""
    batch, channels, height, width = features.shape
    flat = features.flatten(2)
    y0, x0 = pos_y.floor(), pos_x.floor()
    out = 0
    for yy in (y0, y0 + 1):
        for xx in (x0, x0 + 1):
            weight = (1 - (pos_y - yy).abs()) * (1 - (pos_x - xx).abs())
            inside = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
            index = (yy.clamp(0, height - 1) * width +
                     xx.clamp(0, width - 1)).long().flatten(1)
            values = flat.gather(2,
                                 index.unsqueeze(1).expand(-1, channels,
                                                           -1)).view(
                                                               batch, channels,
                                                               height, width)
            out = out + values * (weight * inside).unsqueeze(1)
    return out


def reference_motion_gru(gru, h, flow, trend, k=3):
    """Wu et al.'s MotionGRU equations, one convolution per term."""
    sig, tanh = torch.sigmoid, torch.tanh
    enc = F.conv2d(h, gru.encoder.weight, gru.encoder.bias, stride=2)
    ce, cf = enc.shape[1], flow.shape[1]
    w, b = slices(gru.update_reset_conv, 2, [ce, cf])
    u = sig(conv(enc, w[0][0]) + conv(flow, w[0][1]) + col(b[0]))
    r = sig(conv(enc, w[1][0]) + conv(flow, w[1][1]) + col(b[1]))
    w, b = slices(gru.candidate_conv, 1, [ce, cf])
    z = tanh(conv(enc, w[0][0]) + conv(r * flow, w[0][1]) + col(b[0]))
    transient = u * z + (1 - u) * flow
    trend_new = trend + 0.5 * (flow - trend)
    flow_new = transient + trend_new
    mask = sig(conv(enc, gru.mask_conv.weight, gru.mask_conv.bias))
    _, _, hh, ww = enc.shape
    rows = torch.arange(hh, dtype=h.dtype).view(1, hh, 1)
    cols = torch.arange(ww, dtype=h.dtype).view(1, 1, ww)
    kernel = gru.warp_kernel.weight.view(ce, ce, k * k)  # [out, in, tap]
    warped = 0
    for tap in range(k * k):
        dy, dx = tap // k - k // 2, tap % k - k // 2
        sample = bilinear(enc, rows + dy + flow_new[:, 2 * tap],
                          cols + dx + flow_new[:, 2 * tap + 1])
        sample = sample * mask[:, tap:tap + 1]
        warped = warped + torch.einsum('oi,bihw->bohw', kernel[:, :, tap],
                                       sample)
    extra = (h.shape[2] - 2 * hh, h.shape[3] - 2 * ww)
    decoded = F.conv_transpose2d(
        warped,
        gru.decoder.weight,
        gru.decoder.bias,
        stride=2,
        padding=1,
        output_padding=extra)
    w, b = slices(gru.gate_conv, 1, [h.shape[1], h.shape[1]])
    g = sig(conv(decoded, w[0][0]) + conv(h, w[0][1]) + col(b[0]))
    return g * h + (1 - g) * decoded, flow_new, trend_new


def reference_mim(cell, x, delta, h, c, n, s, m):
    """The MIM block's equations (gates read x, MIM-N reads delta)."""
    sig, tanh = torch.sigmoid, torch.tanh
    cin, hid = x.shape[1], h.shape[1]
    w, b = slices(cell.non_stationary.gate_conv, 3, [cin, hid])
    pre = [
        conv(delta, w[k][0]) + conv(n, w[k][1]) + col(b[k]) for k in range(3)
    ]
    n_new = sig(pre[2]) * n + sig(pre[0]) * tanh(pre[1])
    w, b = slices(cell.non_stationary.output_conv, 1, [cin, hid])
    d = sig(conv(delta, w[0][0]) + conv(n_new, w[0][1]) +
            col(b[0])) * tanh(n_new)
    w, b = slices(cell.stationary.gate_conv, 4, [hid, hid])
    pre = [conv(d, w[k][0]) + conv(c, w[k][1]) + col(b[k]) for k in range(4)]
    s_new = sig(pre[2]) * s + sig(pre[0]) * tanh(pre[1])
    t = sig(pre[3] +
            conv(s_new, cell.stationary.output_conv.conv.weight)) * tanh(s_new)
    w, b = slices(cell.xh_conv, 3, [cin, hid])
    pre = [conv(x, w[k][0]) + conv(h, w[k][1]) + col(b[k]) for k in range(3)]
    c_new = t + sig(pre[0]) * tanh(pre[1])
    w, b = slices(cell.xm_conv, 3, [cin, hid])
    pm = [conv(x, w[k][0]) + conv(m, w[k][1]) + col(b[k]) for k in range(3)]
    m_new = sig(pm[2]) * m + sig(pm[0]) * tanh(pm[1])
    w, _ = slices(cell.cm_output_conv, 1, [hid, hid])
    o = sig(pre[2] + conv(c_new, w[0][0]) + conv(m_new, w[0][1]))
    w, b = slices(cell.cm_fusion_conv, 1, [hid, hid])
    h_new = o * tanh(conv(c_new, w[0][0]) + conv(m_new, w[0][1]) + col(b[0]))
    return dict(h=h_new, c=c_new, n=n_new, s=s_new), m_new, o


def random_cell(channels=4, **kwargs):
    torch.manual_seed(0)
    cell = MotionMIMCell(channels, channels, **kwargs).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.3)
    return cell


@pytest.mark.parametrize('size', [(6, 8), (7, 5)])
def test_one_step_matches_the_equations(size):
    cell = random_cell()
    torch.manual_seed(1)
    x, diagonal = (torch.randn(2, 4, *size).double() for _ in range(2))
    states = cell.init_states(x)
    for name in states:
        states[name] = torch.randn_like(states[name])
    states['f'] = states['f'] * 2  # offsets of a few pixels
    memory = torch.randn(2, 4, *size).double()
    new, new_memory, aux = cell(x, states, memory, diagonal)

    motion_x, flow, trend = reference_motion_gru(cell.motion, x, states['f'],
                                                 states['d'])
    ref, ref_memory, o = reference_mim(cell, motion_x, x - diagonal,
                                       states['h'], states['c'], states['n'],
                                       states['s'], memory)
    ref['h'] = ref['h'] + (1 - o) * x  # Motion Highway
    assert aux == {}
    for name in 'hcns':
        torch.testing.assert_close(new[name], ref[name])
    torch.testing.assert_close(new['f'], flow)
    torch.testing.assert_close(new['d'], trend)
    torch.testing.assert_close(new_memory, ref_memory)


def test_motion_states_live_at_half_resolution():
    cell = MotionMIMCell(8, 8, neighbourhood=5).double()
    x = torch.zeros(2, 8, 31, 31, dtype=torch.float64)
    states = cell.init_states(x)
    assert set(states) == {'h', 'c', 'n', 's', 'f', 'd'}
    assert states['h'].shape == (2, 8, 31, 31)
    assert states['f'].shape == states['d'].shape == (2, 50, 15, 15)
    assert all(v.dtype == torch.float64 for v in states.values())
    # odd sizes (MS-RNN's 124 -> 31 quarter scale) work
    out, memory, _ = cell(x, states, None, x)
    assert out['h'].shape == memory.shape == (2, 8, 31, 31)
    assert out['f'].shape == (2, 50, 15, 15)
    with pytest.raises(ValueError, match='at least 2x2'):
        cell.init_states(torch.zeros(1, 8, 1, 4))
    with pytest.raises(ValueError, match='init_states'):
        cell(
            torch.zeros(2, 8, 16, 16).double(), states, None,
            torch.zeros(2, 8, 16, 16).double())


def test_highway_option_and_channel_check():
    with pytest.raises(ValueError, match='Motion Highway'):
        MotionMIMCell(8, 4)
    cell = CELLS.build(
        dict(
            type='MotionMIMCell',
            in_channels=8,
            hidden_channels=4,
            motion_highway=False))
    x = torch.randn(1, 8, 4, 4)
    out, _, _ = cell(x, cell.init_states(x), None, x)
    assert out['h'].shape == (1, 4, 4, 4)
    assert isinstance(cell, MIMCell) and isinstance(cell.motion, MotionGRU)
    with pytest.raises(ValueError, match='SpatioTemporalLSTMCell'):
        cell(x, cell.init_states(x), None, None)


def test_parameters_at_the_msrnn_setting():
    """MS-RNN Table 3 gives 7.56M for MotionRNN; this model has 6.60M.

    The MS-RNN authors' MotionRNN is their MIM (7,361,473 parameters, see
    test_mim_cell.py: a full MIM cell at layer 0 and unused forget-gate
    convolutions) plus a MotionGRU in all six layers (33,179 each with 1x1
    gate convolutions; the last one's output is never used). Here the
    MIM part is the paper's (6,358,465) and there are five MotionGRUs, one
    between every two layers, with 3x3 gate convolutions as in the
    MotionRNN authors' code (49,003 each).
    """
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(
        str(ROOT / 'configs/_base_/models/'
            'motionrnn_6x64_msrnn.py'))
    model = MODELS.build(cfg.model)
    count = sum(p.numel() for p in model.parameters())
    cells = model.neck.cells
    motion = [
        sum(p.numel() for p in cell.motion.parameters()) for cell in cells[1:]
    ]
    assert motion == [49_003] * 5
    # the MS-RNN code's layer-0 ST-LSTM adds no constant forget bias
    assert cells[0].forget_bias == 0
    assert count == 6_358_465 + 5 * 49_003 == 6_603_480
    authors = 7_361_473 + 6 * 33_179
    assert abs(authors - 7.56e6) / 7.56e6 < 0.001


def test_flying_config_stacks_motion_blocks_over_an_st_lstm():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(
        str(ROOT / 'configs/motionrnn/motionrnn_4x64_flying2digits-10to10.py'))
    cfg.model.neck.hidden_channels = 8
    cells = MODELS.build(cfg.model).neck.cells
    assert type(cells[0]).__name__ == 'SpatioTemporalLSTMCell'
    assert all(isinstance(cell, MotionMIMCell) for cell in cells[1:])
