from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.mim import (MIMBlock, MIMCell,
                                        MIMNonStationaryModule,
                                        MIMStationaryModule)
from stpredict.models.cells.motionrnn import MotionMIMCell
from stpredict.registry import CELLS, MODELS
from stpredict.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[3]


def conv(x, weight, bias=None):
    """A 'same' convolution with one weight slice."""
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def slices(layer, gates, inputs):
    """Split a fused convolution back into per-gate, per-input kernels.

    Returns ``w[gate][input]`` and ``b[gate]`` (None without bias).
    """
    conv_layer = getattr(layer, 'conv', layer)
    weight, bias = conv_layer.weight, conv_layer.bias
    rows = weight.chunk(gates, dim=0)
    w = [torch.split(row, inputs, dim=1) for row in rows]
    b = bias.chunk(gates) if bias is not None else [None] * gates
    return w, b


def reference_mim_step(cell, x, diagonal, h, c, n, s, m):
    """Wang et al.'s MIM block equations, one convolution per term."""
    sig, tanh = torch.sigmoid, torch.tanh
    cin, hid = x.shape[1], h.shape[1]
    delta = x - diagonal
    # MIM-N
    w, b = slices(cell.non_stationary.gate_conv, 3, [cin, hid])
    i = sig(conv(delta, w[0][0]) + conv(n, w[0][1]) + b[0].view(1, -1, 1, 1))
    g = tanh(conv(delta, w[1][0]) + conv(n, w[1][1]) + b[1].view(1, -1, 1, 1))
    f = sig(conv(delta, w[2][0]) + conv(n, w[2][1]) + b[2].view(1, -1, 1, 1))
    n_new = f * n + i * g
    w, b = slices(cell.non_stationary.output_conv, 1, [cin, hid])
    o = sig(
        conv(delta, w[0][0]) + conv(n_new, w[0][1]) + b[0].view(1, -1, 1, 1))
    d = o * tanh(n_new)
    # MIM-S
    w, b = slices(cell.stationary.gate_conv, 4, [hid, hid])
    pre = [
        conv(d, w[k][0]) + conv(c, w[k][1]) + b[k].view(1, -1, 1, 1)
        for k in range(4)
    ]
    s_new = sig(pre[2]) * s + sig(pre[0]) * tanh(pre[1])
    w_so = cell.stationary.output_conv.conv.weight
    t = sig(pre[3] + conv(s_new, w_so)) * tanh(s_new)
    # the block: C_t = T_t + i * g (no forget gate)
    w, b = slices(cell.xh_conv, 3, [cin, hid])
    i = sig(conv(x, w[0][0]) + conv(h, w[0][1]) + b[0].view(1, -1, 1, 1))
    g = tanh(conv(x, w[1][0]) + conv(h, w[1][1]) + b[1].view(1, -1, 1, 1))
    o_xh = conv(x, w[2][0]) + conv(h, w[2][1]) + b[2].view(1, -1, 1, 1)
    c_new = t + i * g
    w, b = slices(cell.xm_conv, 3, [cin, hid])
    i_m = sig(conv(x, w[0][0]) + conv(m, w[0][1]) + b[0].view(1, -1, 1, 1))
    g_m = tanh(conv(x, w[1][0]) + conv(m, w[1][1]) + b[1].view(1, -1, 1, 1))
    f_m = sig(conv(x, w[2][0]) + conv(m, w[2][1]) + b[2].view(1, -1, 1, 1))
    m_new = f_m * m + i_m * g_m
    w, _ = slices(cell.cm_output_conv, 1, [hid, hid])
    o = sig(o_xh + conv(c_new, w[0][0]) + conv(m_new, w[0][1]))
    w, b = slices(cell.cm_fusion_conv, 1, [hid, hid])
    fused = conv(c_new, w[0][0]) + conv(m_new, w[0][1]) + b[0].view(
        1, -1, 1, 1)
    h_new = o * tanh(fused)
    return dict(h=h_new, c=c_new, n=n_new, s=s_new), m_new


def random_cell(**kwargs):
    torch.manual_seed(0)
    cell = MIMCell(2, 3, kernel_size=3, **kwargs).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.3)
    return cell


def test_one_step_matches_the_equations():
    cell = random_cell()
    torch.manual_seed(1)
    x, diagonal = torch.randn(2, 2, 5, 4).double(), torch.randn(2, 2, 5,
                                                                4).double()
    states = {k: torch.randn(2, 3, 5, 4).double() for k in 'hcns'}
    memory = torch.randn(2, 3, 5, 4).double()
    new, new_memory, aux = cell(x, states, memory, diagonal)
    ref, ref_memory = reference_mim_step(cell, x, diagonal, states['h'],
                                         states['c'], states['n'], states['s'],
                                         memory)
    assert set(new) == {'h', 'c', 'n', 's'} and aux == {}
    for name in 'hcns':
        torch.testing.assert_close(new[name], ref[name])
    torch.testing.assert_close(new_memory, ref_memory)


def test_hand_computed_1x1_step():
    """All kernels zero: every gate is its bias; worked out by hand."""
    cell = MIMCell(1, 1, kernel_size=1)
    with torch.no_grad():
        for param in cell.parameters():
            param.zero_()
        # MIM-N i, g, f and o; MIM-S i, g, f, o; block i, g, o; i', g', f'
        cell.non_stationary.gate_conv.conv.bias.copy_(
            torch.tensor([0.0, 1.0, 2.0]))
        cell.non_stationary.output_conv.conv.bias.fill_(-1.0)
        cell.stationary.gate_conv.conv.bias.copy_(
            torch.tensor([1.0, 0.5, -1.0, 0.0]))
        cell.xh_conv.conv.bias.copy_(torch.tensor([0.0, 1.0, 0.0]))
        cell.xm_conv.conv.bias.copy_(torch.tensor([0.0, 0.0, 100.0]))
        cell.cm_fusion_conv.weight.fill_(1.0)
    one = torch.ones(1, 1, 1, 1)
    states = dict(h=one * 0.3, c=one * 5.0, n=one * 2.0, s=one * 4.0)
    new, memory, _ = cell(one, states, one * 3.0, one * 0.5)
    sig, tanh = torch.sigmoid, torch.tanh
    t = torch.tensor
    n_new = sig(t(2.0)) * 2.0 + sig(t(0.0)) * tanh(t(1.0))
    s_new = sig(t(-1.0)) * 4.0 + sig(t(1.0)) * tanh(t(0.5))
    c_new = sig(t(0.0)) * tanh(s_new) + sig(t(0.0)) * tanh(t(1.0))
    m_new = 3.0 + 0.5 * 0.0  # f' = 1, g' = 0
    h_new = sig(t(0.0)) * tanh(c_new + m_new)
    assert new['n'].item() == pytest.approx(n_new.item(), abs=1e-6)
    assert new['s'].item() == pytest.approx(s_new.item(), abs=1e-6)
    assert new['c'].item() == pytest.approx(c_new.item(), abs=1e-6)
    assert memory.item() == pytest.approx(m_new, abs=1e-6)
    assert new['h'].item() == pytest.approx(h_new.item(), abs=1e-6)


def test_diagonal_is_required_and_checked():
    cell = MIMCell(4, 4)
    x = torch.randn(1, 4, 6, 6)
    with pytest.raises(ValueError, match='SpatioTemporalLSTMCell'):
        cell(x, cell.init_states(x), None, None)
    with pytest.raises(ValueError, match='diagonal input'):
        cell(x, cell.init_states(x), None, torch.randn(1, 4, 3, 3))


def test_layer_norm_needs_the_size():
    with pytest.raises(ValueError, match='spatial_size'):
        MIMCell(2, 4, norm='layer')
    cell = MIMCell(2, 4, norm='layer', spatial_size=(6, 6))
    x = torch.randn(1, 2, 6, 6)
    cell(x, cell.init_states(x), None, x)


def test_modules_and_fused_convolutions():
    cell = CELLS.build(dict(type='MIMCell', in_channels=2, hidden_channels=8))
    assert isinstance(cell.non_stationary, MIMNonStationaryModule)
    assert isinstance(cell.stationary, MIMStationaryModule)
    # one convolution per group of gates reading the same inputs
    assert cell.xh_conv.conv.weight.shape == (24, 10, 3, 3)  # i, g, o
    assert cell.xm_conv.conv.weight.shape == (24, 10, 3, 3)  # i', g', f'
    assert cell.non_stationary.gate_conv.conv.weight.shape == (24, 10, 3, 3)
    assert cell.stationary.gate_conv.conv.weight.shape == (32, 16, 3, 3)


def test_parameters_at_the_msrnn_setting():
    """MS-RNN Table 3 gives 7.36M for MIM; this model has 6.36M.

    The difference is exactly the parameters of the MS-RNN authors' code
    that the MIM paper does not have (and that never receive gradients):
    their layer 0 is a full MIM cell (1,226,880 parameters: MIM-N and
    MIM-S computed, their output unused) instead of an ST-LSTM, and every
    MIM cell above it keeps forget-gate convolutions W_xf, W_hf (2 x 36,864
    weights) that ``C_t = T_t + i * g`` never reads; their 14 convolutions
    also each have a bias where the fused ones here have one per gate.
    """
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(
        str(ROOT / 'configs/_base_/models/'
            'mim_6x64_msrnn.py'))
    model = MODELS.build(cfg.model)
    count = sum(p.numel() for p in model.parameters())
    cells = model.neck.cells
    per_cell = [sum(p.numel() for p in cell.parameters()) for cell in cells]
    assert all(isinstance(cell, MIMCell) for cell in cells[1:])
    # the MS-RNN code's layer-0 ST-LSTM adds no constant forget bias
    assert cells[0].forget_bias == 0
    assert per_cell[1:] == [1_151_936] * 5
    assert count == 6_358_465
    # the authors' count: 6 identical MIM cells + stem (128) + head (65)
    authors_cell = (4 * (64 * 192 * 9 + 192) + 4 * (64 * 256 * 9 + 256) + 5 *
                    (64 * 64 * 9 + 64) + 128 * 64 + 64)
    authors = 6 * authors_cell + 128 + 65
    assert abs(authors - 7.36e6) / 7.36e6 < 0.001
    assert authors - count == (authors_cell - per_cell[0]) + 5 * (
        authors_cell - 1_151_936)
    assert authors_cell - 1_151_936 == 2 * 64 * 64 * 9 + 1_216


def test_the_former_name_still_builds():
    # configs and code written before the Cell suffix keep working
    assert CELLS.get('MIMBlock') is MIMCell and MIMBlock is MIMCell
    cell = CELLS.build(dict(type='MIMBlock', in_channels=2,
                            hidden_channels=4))
    assert type(cell) is MIMCell
    assert CELLS.get('MotionMIMBlock') is MotionMIMCell


def test_states_and_flags():
    cell = MIMCell(3, 5)
    assert set(cell.state_names) == {'h', 'c', 'n', 's'}
    assert MIMCell.uses_memory and MIMCell.uses_diagonal
    x = torch.zeros(2, 3, 7, 9)
    assert cell.init_memory(x).shape == (2, 5, 7, 9)


def test_flying_config_stacks_mim_over_an_st_lstm():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(
        str(ROOT / 'configs/mim/mim_4x64_flying2digits-10to10.py')).model
    cfg.neck.hidden_channels = 8
    cells = MODELS.build(cfg).neck.cells
    assert type(cells[0]).__name__ == 'SpatioTemporalLSTMCell'
    assert all(isinstance(cell, MIMCell) for cell in cells[1:])
