import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.modernn import MoDeRNNCell, MultiKernelConv2d
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

FLYING = 'configs/modernn/modernn_4x64_flying2digits-10to10.py'
MSRNN = 'configs/_base_/models/modernn_6x64_msrnn.py'


def conv(x, weight, bias=None):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def multi_kernel(x, layer):
    """The mean of the 3x3, 5x5 and 7x7 convolutions, run one by one."""
    outs = [conv(x, c.weight, c.bias) for c in layer.convs]
    return sum(outs) / len(outs)


def reference_step(cell, x, h, c):
    """Chai et al.'s equations with one convolution per kernel and gate."""
    hid, cin = cell.hidden_channels, cell.in_channels
    sig, tanh = torch.sigmoid, torch.tanh
    x_d, h_d = x, h
    for r in range(1, cell.dcb_iterations + 1):
        if r % 2:
            x_d = 2 * sig(multi_kernel(h_d, cell.conv_h2x)) * x_d
        else:
            h_d = 2 * sig(multi_kernel(x_d, cell.conv_x2h)) * h_d
    w, b = cell.gate_conv.weight, cell.gate_conv.bias
    i, f, g, o = [
        conv(x_d, w[j * hid:(j + 1) * hid, :cin], b[j * hid:(j + 1) * hid]) +
        conv(h_d, w[j * hid:(j + 1) * hid, cin:]) for j in range(4)
    ]
    c_new = sig(f + cell.forget_bias) * c + sig(i) * tanh(g)
    h_new = sig(o) * tanh(c_new)
    return h_new, c_new


@pytest.mark.parametrize('iterations', [5, 2])
def test_one_step_matches_the_equations(iterations):
    torch.manual_seed(0)
    cell = MoDeRNNCell(
        2, 3, kernel_size=3, dcb_iterations=iterations, forget_bias=0.5)
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.3)
    x = torch.randn(2, 2, 6, 5)
    h, c = torch.randn(2, 3, 6, 5), torch.randn(2, 3, 6, 5)
    states, memory, aux = cell(x, dict(h=h, c=c))
    h_ref, c_ref = reference_step(cell, x, h, c)
    torch.testing.assert_close(states['h'], h_ref)
    torch.testing.assert_close(states['c'], c_ref)
    assert memory is None and aux == {}


def test_fused_kernels_equal_the_separate_convolutions():
    torch.manual_seed(0)
    layer = MultiKernelConv2d(3, 4, (3, 5, 7))
    x = torch.randn(2, 3, 9, 8)
    torch.testing.assert_close(layer(x), multi_kernel(x, layer))
    # parameters as three convolutions: 3*4*(9+25+49) weights + 3*4 biases
    assert sum(p.numel() for p in layer.parameters()) == 3 * 4 * 83 + 12
    with pytest.raises(ValueError, match='odd kernel'):
        MultiKernelConv2d(3, 4, (3, 4))


def test_parameters_at_the_msrnn_setting():
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(MSRNN).model)
    count = sum(p.numel() for p in model.parameters())
    assert count == 5_853_121
    assert abs(count - 5.86e6) / 5.86e6 < 0.03  # MS-RNN Table 6: 5.86M


def test_states_and_convolutions():
    cell = MoDeRNNCell(16, 8)
    assert cell.state_names == ('h', 'c')
    assert not cell.uses_memory and not cell.uses_diagonal
    assert cell.gate_conv.weight.shape == (32, 24, 5, 5)
    assert [c.kernel_size[0] for c in cell.conv_x2h.convs] == [3, 5, 7]
