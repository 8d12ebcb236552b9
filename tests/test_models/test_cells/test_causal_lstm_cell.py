import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.causal_lstm import CausalLSTMCell
from stpredict.models.cells.gradient_highway_unit import GradientHighwayUnit
from stpredict.registry import CELLS, MODELS
from stpredict.utils import register_all_modules

FLYING_CONFIG = 'configs/predrnnpp/predrnnpp_4x64_flying2digits-10to10.py'
MSRNN_MODEL = 'configs/_base_/models/predrnnpp_6x64_msrnn.py'


def conv(x, weight, bias=None):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def term(module, index, size, inputs):
    """Rows ``index * size : (index + 1) * size`` of a fused convolution,
    applied to its inputs one weight slice (one convolution) at a time."""
    rows = slice(index * size, (index + 1) * size)
    total = module.bias[rows].view(1, -1, 1, 1)
    start = 0
    for tensor in inputs:
        cols = slice(start, start + tensor.shape[1])
        total = total + conv(tensor, module.weight[rows, cols])
        start += tensor.shape[1]
    return total


def reference_ghu(ghu, x, z):
    """PredRNN++'s GHU with W_px, W_pz, W_sx, W_sz as separate convs."""
    n = ghu.channels
    p = torch.tanh(term(ghu.conv, 0, n, [x, z]))
    s = torch.sigmoid(term(ghu.conv, 1, n, [x, z]))
    return s * p + (1 - s) * z


def reference_causal_step(cell, x, h, c, m):
    """PredRNN++'s causal LSTM, one convolution per weight slice."""
    n, fb = cell.hidden_channels, cell.forget_bias
    w1, w2 = cell.temporal_conv, cell.spatial_conv
    # (g, i, f) = (tanh, sigma, sigma)(W_1 * [X, H_{t-1}, C_{t-1}])
    i = torch.sigmoid(term(w1, 0, n, [x, h, c]))
    f = torch.sigmoid(term(w1, 1, n, [x, h, c]) + fb)
    g = torch.tanh(term(w1, 2, n, [x, h, c]))
    c_new = f * c + i * g
    # (g', i', f') = (tanh, sigma, sigma)(W_2 * [X, C_t, M^{k-1}])
    i_m = torch.sigmoid(term(w2, 0, n, [x, c_new, m]))
    f_m = torch.sigmoid(term(w2, 1, n, [x, c_new, m]) + fb)
    g_m = torch.tanh(term(w2, 2, n, [x, c_new, m]))
    m_new = f_m * torch.tanh(term(cell.memory_conv, 0, n, [m])) + i_m * g_m
    o = torch.tanh(term(cell.output_conv, 0, n, [x, c_new, m_new]))
    h_new = o * torch.tanh(term(cell.fusion_conv, 0, n, [c_new, m_new]))
    return h_new, c_new, m_new


def randomise(module, std=0.4):
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, std)


@pytest.mark.parametrize('highway', [False, True])
def test_one_step_matches_the_equations(highway):
    torch.manual_seed(0)
    cell = CausalLSTMCell(2, 3, kernel_size=3, highway=highway)
    randomise(cell)
    x = torch.randn(2, 2, 5, 4)
    h, c, m, z = (torch.randn(2, 3, 5, 4) for _ in range(4))
    states = dict(h=h, c=c, z=z) if highway else dict(h=h, c=c)
    new_states, memory, aux = cell(x, states, memory=m)
    lstm_input = x
    if highway:
        z_ref = reference_ghu(cell.ghu, x, z)
        torch.testing.assert_close(new_states['z'], z_ref)
        lstm_input = z_ref  # the causal LSTM reads the highway's output
    h_ref, c_ref, m_ref = reference_causal_step(cell, lstm_input, h, c, m)
    torch.testing.assert_close(new_states['h'], h_ref)
    torch.testing.assert_close(new_states['c'], c_ref)
    torch.testing.assert_close(memory, m_ref)
    assert set(new_states) == set(cell.state_names) and aux == {}


def test_hand_computed_highway_step():
    """GHU with one channel and 1x1 kernels: P = tanh(x), S = sigma(z)."""
    ghu = GradientHighwayUnit(1, 1, kernel_size=1)
    with torch.no_grad():
        ghu.conv.weight.copy_(torch.tensor([[1., 0.], [0., 1.]]).view(
            2, 2, 1, 1))
        ghu.conv.bias.zero_()
    x, z = torch.full((1, 1, 1, 1), 0.5), torch.full((1, 1, 1, 1), -2.0)
    s = torch.sigmoid(torch.tensor(-2.0))
    expected = s * torch.tanh(torch.tensor(0.5)) + (1 - s) * -2.0
    assert ghu(x, z).item() == pytest.approx(expected.item(), abs=1e-6)


def test_states_follow_the_input_and_the_highway():
    plain = CausalLSTMCell(3, 5, kernel_size=3)
    highway = CausalLSTMCell(3, 5, kernel_size=3, highway=True)
    assert plain.state_names == ('h', 'c') and plain.ghu is None
    assert highway.state_names == ('h', 'c', 'z')
    assert CausalLSTMCell.state_names == ('h', 'c')  # class left unchanged
    assert plain.uses_memory and not plain.uses_diagonal
    x = torch.zeros(2, 3, 7, 9, dtype=torch.float64)
    states = highway.init_states(x)
    assert set(states) == {'h', 'c', 'z'}
    for value in states.values():
        assert value.shape == (2, 5, 7, 9) and value.dtype == torch.float64
    out, memory, _ = highway.double()(x, states)
    assert out['z'].shape == memory.shape == (2, 5, 7, 9)
    # the GHU reads the input; the causal LSTM reads Z (hidden channels)
    assert highway.ghu.conv.in_channels == 3 + 5
    assert highway.temporal_conv.in_channels == 5 + 2 * 5
    assert plain.temporal_conv.in_channels == 3 + 2 * 5


def test_fused_convolutions_and_kernels():
    cell = CELLS.build(dict(type='CausalLSTMCell', in_channels=2,
                            hidden_channels=8))
    assert cell.temporal_conv.weight.shape == (24, 18, 5, 5)  # W_1
    assert cell.spatial_conv.weight.shape == (24, 18, 5, 5)  # W_2
    assert cell.memory_conv.weight.shape == (8, 8, 1, 1)  # W_3 is 1x1
    assert cell.output_conv.weight.shape == (8, 18, 5, 5)  # W_4
    assert cell.fusion_conv.weight.shape == (8, 16, 1, 1)  # W_5 is 1x1
    wide = CausalLSTMCell(2, 8, kernel_size=3, memory_kernel_size=3)
    assert wide.memory_conv.weight.shape == (8, 8, 3, 3)
    with pytest.raises(ValueError, match='memory_kernel_size'):
        CausalLSTMCell(2, 8, memory_kernel_size=2)


def test_layer_norm_sizes_include_the_highway():
    """Every norm, the GHU's included ([2 * hidden, H, W]), fits its
    tensor; a different frame size is refused with a clear message."""
    cell = CausalLSTMCell(1, 4, kernel_size=3, highway=True, norm='layer',
                          spatial_size=(6, 6))
    assert cell.ghu.norm.normalized_shape == (8, 6, 6)
    x = torch.randn(1, 1, 6, 6)
    cell(x, cell.init_states(x))
    y = torch.randn(1, 1, 8, 8)
    with pytest.raises(ValueError, match='spatial_size'):
        cell(y, cell.init_states(y))


def test_parameters_at_the_msrnn_setting():
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(MSRNN_MODEL).model)
    params = sum(p.numel() for p in model.parameters())
    # 6 causal LSTMs x 787,008 + one GHU (3x3 conv [X, Z] 128 -> 128:
    # 147,584) + 1x1 stem (128) + 1x1 head (65)
    assert params == 4_869_825
    # MS-RNN Table 3 says 5.61M: its code builds a GHU (two 3x3 convs
    # 64 -> 128 with biases, 147,712 parameters) in each of the six layers
    # and runs only the one of layer 1. With those five unused GHUs (and
    # the second bias of the used one) our count is exactly theirs:
    ghu_msrnn = 2 * (64 * 128 * 9 + 128)
    assert params + 5 * ghu_msrnn + 128 == 5_608_513  # = 5.61M
    # so without dead parameters we are 13% below the table's number
    assert abs(params / 5.61e6 - 1) > 0.03


def test_flying_config_puts_the_highway_in_layer_1():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(FLYING_CONFIG).model
    cfg.neck.hidden_channels = 8
    cells = MODELS.build(cfg).neck.cells
    assert [cell.highway for cell in cells] == [False, True, False, False]
