import pytest
import torch
import torch.nn.functional as F

from stpredict.models.cells import ConvLSTMCell


def reference_convlstm_step(x, h, c, w_x, w_h, bias, peep=None):
    """Shi et al.'s equations with separate W_x* and W_h* convolutions."""
    pad = w_x.shape[-1] // 2
    pre = F.conv2d(x, w_x, padding=pad) + F.conv2d(h, w_h, padding=pad)
    pre = pre + bias.view(1, -1, 1, 1)
    i, f, g, o = pre.chunk(4, dim=1)
    if peep is not None:
        i = i + peep[0] * c
        f = f + peep[1] * c
    i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
    c_new = f * c + i * g
    if peep is not None:
        o = o + peep[2] * c_new
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


@pytest.mark.parametrize('peephole', [False, True])
def test_one_step_matches_the_equations(peephole):
    torch.manual_seed(0)
    cell = ConvLSTMCell(2, 3, kernel_size=3, peephole=peephole)
    with torch.no_grad():
        cell.gate_conv.weight.normal_(0, 0.3)
        cell.gate_conv.bias.normal_(0, 0.3)
        if peephole:
            cell.peephole_weight.normal_(0, 0.5)
    x = torch.randn(2, 2, 5, 4)
    h = torch.randn(2, 3, 5, 4)
    c = torch.randn(2, 3, 5, 4)
    states, memory, aux = cell(x, dict(h=h, c=c))
    # the fused kernel split back into the W_x and W_h kernels
    w_x = cell.gate_conv.weight[:, :2]
    w_h = cell.gate_conv.weight[:, 2:]
    peep = cell.peephole_weight if peephole else None
    h_ref, c_ref = reference_convlstm_step(x, h, c, w_x, w_h,
                                           cell.gate_conv.bias, peep)
    torch.testing.assert_close(states['h'], h_ref)
    torch.testing.assert_close(states['c'], c_ref)
    assert memory is None and aux == {}


def test_hand_computed_1x1_step():
    """A 1-channel, 1x1-kernel cell worked out by hand."""
    cell = ConvLSTMCell(1, 1, kernel_size=1)
    with torch.no_grad():
        # gates i, f, g, o = w_x * x + w_h * h + b
        cell.gate_conv.weight.copy_(
            torch.tensor([[1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [0.0, 1.0]]
                         ).view(4, 2, 1, 1))
        cell.gate_conv.bias.copy_(torch.tensor([0.0, 100.0, 0.0, 0.0]))
    x = torch.full((1, 1, 1, 1), 0.5)
    h = torch.zeros(1, 1, 1, 1)
    c = torch.full((1, 1, 1, 1), 2.0)
    states, _, _ = cell(x, dict(h=h, c=c))
    i = torch.sigmoid(torch.tensor(0.5))
    f = torch.sigmoid(torch.tensor(100.0))  # = 1
    g = torch.tanh(torch.tensor(1.0))
    c_new = f * 2.0 + i * g
    h_new = torch.sigmoid(torch.tensor(0.0)) * torch.tanh(c_new)
    assert states['c'].item() == pytest.approx(c_new.item(), abs=1e-6)
    assert states['h'].item() == pytest.approx(h_new.item(), abs=1e-6)


def test_layer_norm_needs_and_checks_the_size():
    with pytest.raises(ValueError, match='spatial_size'):
        ConvLSTMCell(1, 4, norm='layer')
    cell = ConvLSTMCell(1, 4, kernel_size=3, norm='layer',
                        spatial_size=(6, 6))
    x = torch.randn(1, 1, 6, 6)
    cell(x, cell.init_states(x))
    y = torch.randn(1, 1, 8, 8)
    with pytest.raises(ValueError, match='spatial_size'):
        cell(y, cell.init_states(y))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='odd kernel'):
        ConvLSTMCell(1, 4, kernel_size=4)
    with pytest.raises(ValueError, match='Unknown cell norm'):
        ConvLSTMCell(1, 4, norm='batch')


def test_fused_gate_convolution():
    cell = ConvLSTMCell(2, 8)
    # one fused convolution on [X, H] gives the four gates
    assert cell.gate_conv.weight.shape == (32, 10, 5, 5)
