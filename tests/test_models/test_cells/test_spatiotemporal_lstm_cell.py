import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.spatiotemporal_lstm import SpatioTemporalLSTMCell
from stpredict.registry import MODELS, NECKS
from stpredict.utils import register_all_modules

FLYING_CONFIG = 'configs/predrnn/predrnn_4x64_flying2digits-10to10.py'
MSRNN_MODEL = 'configs/_base_/models/predrnn_6x64_msrnn.py'


def conv(x, weight, bias=None):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def reference_st_lstm_step(cell, x, h, c, m):
    """PredRNN's ST-LSTM equations, one convolution per weight W_xg, ...

    The fused kernels of the cell are cut back into the paper's separate
    weights; biases are per gate.
    """
    hid = cell.hidden_channels
    w_t, b_t = cell.temporal_conv.weight, cell.temporal_conv.bias
    w_s, b_s = cell.spatial_conv.weight, cell.spatial_conv.bias

    def gate(weight, bias, index, inputs):
        rows = slice(index * hid, (index + 1) * hid)
        total = bias[rows].view(1, -1, 1, 1)
        start = 0
        for tensor in inputs:
            cols = slice(start, start + tensor.shape[1])
            total = total + conv(tensor, weight[rows, cols])
            start += tensor.shape[1]
        return total

    forget_bias = cell.forget_bias
    # temporal memory: i, f, g from X and H^l_{t-1}
    i = torch.sigmoid(gate(w_t, b_t, 0, [x, h]))
    f = torch.sigmoid(gate(w_t, b_t, 1, [x, h]) + forget_bias)
    g = torch.tanh(gate(w_t, b_t, 2, [x, h]))
    c_new = f * c + i * g
    # spatiotemporal memory: i', f', g' from X and M^{l-1}_t
    i_m = torch.sigmoid(gate(w_s, b_s, 0, [x, m]))
    f_m = torch.sigmoid(gate(w_s, b_s, 1, [x, m]) + forget_bias)
    g_m = torch.tanh(gate(w_s, b_s, 2, [x, m]))
    m_new = f_m * m + i_m * g_m
    # output gate: W_xo * X + W_ho * H + W_co * C_t + W_mo * M_t + b_o
    w_o = cell.output_conv.weight
    o = (gate(w_t, b_t, 3, [x, h]) + conv(c_new, w_o[:, :hid]) +
         conv(m_new, w_o[:, hid:]) + cell.output_conv.bias.view(1, -1, 1, 1))
    o = torch.sigmoid(o)
    w_1x1 = cell.fusion_conv.weight
    fused = (conv(c_new, w_1x1[:, :hid]) + conv(m_new, w_1x1[:, hid:]) +
             cell.fusion_conv.bias.view(1, -1, 1, 1))
    h_new = o * torch.tanh(fused)
    return h_new, c_new, m_new, i * g, i_m * g_m


def randomise(module, std=0.4):
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, std)


@pytest.mark.parametrize('forget_bias', [1.0, 0.0])
def test_one_step_matches_the_equations(forget_bias):
    torch.manual_seed(0)
    cell = SpatioTemporalLSTMCell(2, 3, kernel_size=3,
                                  forget_bias=forget_bias)
    randomise(cell)
    x = torch.randn(2, 2, 5, 4)
    h, c, m = (torch.randn(2, 3, 5, 4) for _ in range(3))
    states, memory, aux = cell(x, dict(h=h, c=c), memory=m)
    h_ref, c_ref, m_ref, dc_ref, dm_ref = reference_st_lstm_step(
        cell, x, h, c, m)
    torch.testing.assert_close(states['h'], h_ref)
    torch.testing.assert_close(states['c'], c_ref)
    torch.testing.assert_close(memory, m_ref)
    assert set(states) == {'h', 'c'} and aux == {}
    step = cell.step(x, h, c, m)
    torch.testing.assert_close(step.delta_c, dc_ref)
    torch.testing.assert_close(step.delta_m, dm_ref)


def test_hand_computed_1x1_step():
    """One channel, 1x1 kernels, weights picked so each gate is simple."""
    cell = SpatioTemporalLSTMCell(1, 1, kernel_size=1, forget_bias=0.0)
    with torch.no_grad():
        for param in cell.parameters():
            param.zero_()
        # temporal rows i, f, g, o over [x, h]: i = x, g = 2x, f = 0, o = h
        cell.temporal_conv.weight.copy_(
            torch.tensor([[1., 0.], [0., 0.], [2., 0.], [0., 1.]]).view(
                4, 2, 1, 1))
        # spatial rows i', f', g' over [x, m]: i' = 0, f' = m, g' = x
        cell.spatial_conv.weight.copy_(
            torch.tensor([[0., 0.], [0., 1.], [1., 0.]]).view(3, 2, 1, 1))
        cell.output_conv.weight.copy_(torch.tensor([1., 1.]).view(
            1, 2, 1, 1))  # W_co = W_mo = 1
        cell.fusion_conv.weight.copy_(torch.tensor([1., -1.]).view(
            1, 2, 1, 1))  # C - M
    x, h, c, m = 0.5, -1.0, 2.0, 0.25
    t = torch.tensor
    states, memory, _ = cell(
        t([[[[x]]]]), dict(h=t([[[[h]]]]), c=t([[[[c]]]])), t([[[[m]]]]))
    sig, tanh = torch.sigmoid, torch.tanh
    c_new = sig(t(0.)) * c + sig(t(x)) * tanh(t(2 * x))
    m_new = sig(t(m)) * m + sig(t(0.)) * tanh(t(x))
    h_new = sig(t(h) + c_new + m_new) * tanh(c_new - m_new)
    assert states['c'].item() == pytest.approx(c_new.item(), abs=1e-6)
    assert memory.item() == pytest.approx(m_new.item(), abs=1e-6)
    assert states['h'].item() == pytest.approx(h_new.item(), abs=1e-6)


def test_states_and_memory_follow_the_input():
    cell = SpatioTemporalLSTMCell(3, 5, kernel_size=3)
    assert cell.uses_memory and not cell.uses_diagonal
    x = torch.zeros(2, 3, 7, 9, dtype=torch.float64)
    states = cell.init_states(x)
    assert set(states) == {'h', 'c'}
    memory = cell.init_memory(x)
    for value in (*states.values(), memory):
        assert value.shape == (2, 5, 7, 9) and value.dtype == torch.float64
    cell = cell.double()
    out, new_memory, _ = cell(x, states, memory)
    assert out['h'].shape == new_memory.shape == (2, 5, 7, 9)
    # another size, and no memory given (a cell used on its own)
    y = torch.zeros(1, 3, 4, 6, dtype=torch.float64)
    out, new_memory, _ = cell(y, cell.init_states(y))
    assert new_memory.shape == (1, 5, 4, 6)


def test_layer_norm_needs_and_checks_the_size():
    with pytest.raises(ValueError, match='spatial_size'):
        SpatioTemporalLSTMCell(1, 4, norm='layer')
    cell = SpatioTemporalLSTMCell(
        1, 4, kernel_size=3, norm='layer', spatial_size=(6, 6))
    x = torch.randn(1, 1, 6, 6)
    cell(x, cell.init_states(x))
    y = torch.randn(1, 1, 8, 8)
    with pytest.raises(ValueError, match='spatial_size'):
        cell(y, cell.init_states(y))


def test_zigzag_memory_in_a_stack():
    """Layer 0 at step t reads the top layer's M from step t-1."""
    torch.manual_seed(0)
    neck = NECKS.build(
        dict(type='SingleScaleStack',
             cell=dict(type='SpatioTemporalLSTMCell', kernel_size=3),
             in_channels=2, hidden_channels=4, num_layers=3))
    x = torch.randn(1, 2, 5, 5)
    state = neck.init_state(x)
    _, state, _ = neck(x, state)
    top_memory = state['memory']
    layer0 = neck.cells[0]
    expected = layer0(x, state['layers'][0], top_memory)
    # replay step 2 of layer 0 by hand and compare with the neck
    _, state2, _ = neck(x, state)
    torch.testing.assert_close(state2['layers'][0]['h'], expected[0]['h'])


def test_parameters_at_the_msrnn_setting():
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(MSRNN_MODEL).model)
    params = sum(p.numel() for p in model.parameters())
    # 6 layers x 598,592 + 1x1 stem (128) + 1x1 head (65)
    assert params == 3_591_745
    assert abs(params / 3.59e6 - 1) < 0.03  # MS-RNN Table 3: 3.59M


def test_fused_convolutions():
    cell = SpatioTemporalLSTMCell(2, 8)
    assert cell.temporal_conv.weight.shape == (32, 10, 5, 5)  # [X, H]
    assert cell.spatial_conv.weight.shape == (24, 10, 5, 5)  # [X, M]
    assert cell.output_conv.weight.shape == (8, 16, 5, 5)  # [C, M]
    assert cell.fusion_conv.weight.shape == (8, 16, 1, 1)
