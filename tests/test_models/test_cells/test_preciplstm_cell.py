import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.preciplstm import PrecipLSTMCell
from stpredict.models.layers import local_attention
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

FLYING = 'configs/preciplstm/preciplstm_4x64_flying2digits-10to10.py'
MSRNN = 'configs/_base_/models/preciplstm_6x64_msrnn.py'


def conv(x, weight, bias=None):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def reference_step(cell, x, h, c, ms, mt, x_prev, m, mask_outside):
    """Ma et al.'s equations, one convolution per gate and input."""
    hid = cell.hidden_channels
    cin = cell.in_channels

    def rows(layer, index, size=hid):
        bias = None if layer.bias is None else \
            layer.bias[index * size:(index + 1) * size]
        return layer.weight[index * size:(index + 1) * size], bias

    # spatial local attention on X, then X^ = X + W_a * LA(X)
    w_qkv = cell.attention.qkv.weight
    q = conv(x, w_qkv[:cin])
    k = conv(x, w_qkv[cin:2 * cin])
    v = conv(x, w_qkv[2 * cin:])
    # the attention op itself is checked against an unfold gather in
    # tests/test_models/test_layers/test_local_attention.py
    att = local_attention(q, k, v, cell.attention.window_size,
                          mask_outside=mask_outside)
    x_att = x + conv(att, cell.conv_attention.weight,
                     cell.conv_attention.bias)

    def gate(index_x, index_s, state, conv_s, conv_in=cell.conv_x,
             inp=x_att):
        w_x, b_x = rows(conv_in, index_x)
        w_s, _ = rows(conv_s, index_s)
        return conv(inp, w_x, b_x) + conv(state, w_s)

    sig, tanh = torch.sigmoid, torch.tanh
    # C: x-rows 0..3, h-rows 0..3
    i_c = sig(gate(0, 0, h, cell.conv_h))
    f_c = sig(gate(1, 1, h, cell.conv_h) + cell.forget_bias)
    g_c = tanh(gate(2, 2, h, cell.conv_h))
    o_pre = gate(3, 3, h, cell.conv_h)
    c_new = f_c * c + i_c * g_c
    # M: x-rows 4..6, m-rows 0..2
    i_m = sig(gate(4, 0, m, cell.conv_m))
    f_m = sig(gate(5, 1, m, cell.conv_m) + cell.forget_bias)
    g_m = tanh(gate(6, 2, m, cell.conv_m))
    m_new = f_m * m + i_m * g_m
    # MS (SLAM): x-rows 7..9, ms-rows 0..2
    i_s = sig(gate(7, 0, ms, cell.conv_ms))
    f_s = sig(gate(8, 1, ms, cell.conv_ms) + cell.forget_bias)
    g_s = tanh(gate(9, 2, ms, cell.conv_ms))
    ms_new = f_s * ms + i_s * g_s
    # MT (TDM): from X_t - X_{t-1}
    diff = x - x_prev
    i_t = sig(gate(0, 0, mt, cell.conv_mt, cell.conv_dx, diff))
    f_t = sig(gate(1, 1, mt, cell.conv_mt, cell.conv_dx, diff) +
              cell.forget_bias)
    g_t = tanh(gate(2, 2, mt, cell.conv_mt, cell.conv_dx, diff))
    mt_new = f_t * mt + i_t * g_t
    # output gate: one kernel per memory, in the order C, MS, MT, M
    w_o = cell.conv_o.weight
    o_mem = sum(
        conv(state, w_o[:, j * hid:(j + 1) * hid])
        for j, state in enumerate([c_new, ms_new, mt_new, m_new]))
    out_gate = sig(o_pre + o_mem + cell.conv_o.bias.view(1, -1, 1, 1))
    w_1 = cell.conv_last.weight
    fused = sum(
        conv(state, w_1[:, j * hid:(j + 1) * hid])
        for j, state in enumerate([c_new, ms_new, mt_new, m_new]))
    h_new = out_gate * tanh(fused + cell.conv_last.bias.view(1, -1, 1, 1))
    return dict(h=h_new, c=c_new, ms=ms_new, mt=mt_new, x_prev=x), m_new


def random_cell(**kwargs):
    cell = PrecipLSTMCell(2, 3, kernel_size=3, **kwargs)
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.3)
    return cell


@pytest.mark.parametrize('window,tile,mask_outside', [(3, 2, False),
                                                      (5, 3, True),
                                                      (9, 16, False)])
def test_one_step_matches_the_equations(window, tile, mask_outside):
    torch.manual_seed(0)
    cell = random_cell(
        window_size=window, attention_tile_size=tile,
        mask_outside=mask_outside, forget_bias=0.5)
    x = torch.randn(2, 2, 5, 6)
    states = {name: torch.randn_like(value)
              for name, value in cell.init_states(x).items()}
    memory = torch.randn(2, 3, 5, 6)
    new, m_new, aux = cell(x, states, memory=memory)
    ref, m_ref = reference_step(cell, x, *(states[n] for n in (
        'h', 'c', 'ms', 'mt', 'x_prev')), memory, mask_outside)
    assert set(new) == set(PrecipLSTMCell.state_names)
    for name in ref:
        torch.testing.assert_close(new[name], ref[name])
    torch.testing.assert_close(m_new, m_ref)
    assert aux == {}


def test_states_follow_the_input_and_window_must_be_odd():
    cell = PrecipLSTMCell(2, 4, kernel_size=3, window_size=5)
    x = torch.zeros(2, 2, 7, 5, dtype=torch.float64)
    states = cell.init_states(x)
    assert states['x_prev'].shape == (2, 2, 7, 5)
    assert states['h'].shape == (2, 4, 7, 5)
    assert all(s.dtype == torch.float64 for s in states.values())
    assert cell.uses_memory and not cell.uses_diagonal
    with pytest.raises(ValueError, match='odd'):
        PrecipLSTMCell(2, 4, window_size=30)


def test_recomputed_attention_gives_the_same_gradients():
    torch.manual_seed(0)
    grads = []
    for recompute in (True, False):
        torch.manual_seed(0)
        cell = PrecipLSTMCell(
            2, 4, kernel_size=3, window_size=5, attention_tile_size=4,
            checkpoint_attention=recompute)
        x = torch.randn(2, 2, 7, 6)
        states, memory, _ = cell(x, cell.init_states(x), cell.init_memory(x))
        states['h'].square().sum().backward()
        grads.append([p.grad for p in cell.parameters()])
    for with_recompute, without in zip(*grads):
        torch.testing.assert_close(with_recompute, without)


def test_parameters_at_the_msrnn_setting():
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(MSRNN).model)
    count = sum(p.numel() for p in model.parameters())
    assert count == 7_035_073
    assert abs(count - 7.04e6) / 7.04e6 < 0.03  # MS-RNN Table 3: 7.04M


def test_default_window_and_fused_convolution():
    cell = PrecipLSTMCell(16, 8)
    assert cell.attention.window_size == 31
    # one convolution on X^ gives the gates of C, M and MS
    assert cell.conv_x.weight.shape == (80, 16, 5, 5)
