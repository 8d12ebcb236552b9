import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.spatiotemporal_lstm import SpatioTemporalLSTMCell
from stpredict.models.cells.spatiotemporal_lstm_v2 import (
    SpatioTemporalLSTMv2Cell, decoupling_loss)
from stpredict.registry import MODELS
from stpredict.testing import train_briefly
from stpredict.utils import register_all_modules

FLYING_CONFIG = 'configs/predrnn_v2/predrnn_v2_4x64_flying2digits-10to10.py'
MSRNN_MODEL = 'configs/_base_/models/predrnn_v2_6x64_msrnn.py'


def conv(x, weight, bias=None):
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def reference_v2_step(cell, x, h, c, m):
    """PredRNN-V2: the ST-LSTM equations with one convolution per weight,
    then W_decouple on both increments and mean_{b,c} |cos| over space."""
    hid = cell.hidden_channels
    w_t, b_t = cell.temporal_conv.weight, cell.temporal_conv.bias
    w_s, b_s = cell.spatial_conv.weight, cell.spatial_conv.bias

    def gate(weight, bias, index, first, second):
        rows = slice(index * hid, (index + 1) * hid)
        split = first.shape[1]
        return (conv(first, weight[rows, :split]) +
                conv(second, weight[rows, split:]) +
                bias[rows].view(1, -1, 1, 1))

    fb = cell.forget_bias
    i = torch.sigmoid(gate(w_t, b_t, 0, x, h))
    f = torch.sigmoid(gate(w_t, b_t, 1, x, h) + fb)
    g = torch.tanh(gate(w_t, b_t, 2, x, h))
    c_new = f * c + i * g
    i_m = torch.sigmoid(gate(w_s, b_s, 0, x, m))
    f_m = torch.sigmoid(gate(w_s, b_s, 1, x, m) + fb)
    g_m = torch.tanh(gate(w_s, b_s, 2, x, m))
    m_new = f_m * m + i_m * g_m
    w_o = cell.output_conv.weight
    o = torch.sigmoid(
        gate(w_t, b_t, 3, x, h) + conv(c_new, w_o[:, :hid]) +
        conv(m_new, w_o[:, hid:]) + cell.output_conv.bias.view(1, -1, 1, 1))
    w_f = cell.fusion_conv.weight
    h_new = o * torch.tanh(
        conv(c_new, w_f[:, :hid]) + conv(m_new, w_f[:, hid:]) +
        cell.fusion_conv.bias.view(1, -1, 1, 1))
    # memory decoupling
    delta_c = conv(i * g, cell.adapter.weight)
    delta_m = conv(i_m * g_m, cell.adapter.weight)
    cos = F.cosine_similarity(
        delta_c.flatten(2), delta_m.flatten(2), dim=2)  # [B, C]
    return h_new, c_new, m_new, cos.abs().mean(), delta_c, delta_m


def randomise(module, std=0.4):
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, std)


def test_one_step_matches_the_equations():
    torch.manual_seed(0)
    cell = SpatioTemporalLSTMv2Cell(2, 3, kernel_size=3,
                                    return_increments=True)
    randomise(cell)
    x = torch.randn(2, 2, 5, 4)
    h, c, m = (torch.randn(2, 3, 5, 4) for _ in range(3))
    states, memory, aux = cell(x, dict(h=h, c=c), memory=m)
    h_ref, c_ref, m_ref, loss_ref, dc_ref, dm_ref = reference_v2_step(
        cell, x, h, c, m)
    torch.testing.assert_close(states['h'], h_ref)
    torch.testing.assert_close(states['c'], c_ref)
    torch.testing.assert_close(memory, m_ref)
    torch.testing.assert_close(aux['loss_decouple'], loss_ref)
    torch.testing.assert_close(aux['delta_c'], dc_ref)
    torch.testing.assert_close(aux['delta_m'], dm_ref)
    assert aux['loss_decouple'].dim() == 0


def test_decoupling_loss_by_hand():
    # channel 0: parallel maps (|cos| = 1); channel 1: orthogonal (cos = 0)
    delta_c = torch.tensor([[[[1., 2.]], [[1., 0.]]]])
    delta_m = torch.tensor([[[[-2., -4.]], [[0., 3.]]]])
    assert decoupling_loss(delta_c, delta_m).item() == pytest.approx(0.5)
    # an all-zero increment counts as decoupled, without NaN
    zero = torch.zeros(1, 2, 1, 2, requires_grad=True)
    loss = decoupling_loss(zero, delta_m)
    loss.backward()
    assert loss.item() == 0 and torch.isfinite(zero.grad).all()


def test_same_step_as_predrnn():
    """Decoupling adds a loss and an adapter, not a different step."""
    torch.manual_seed(0)
    v2 = SpatioTemporalLSTMv2Cell(2, 4, kernel_size=3)
    v1 = SpatioTemporalLSTMCell(2, 4, kernel_size=3)
    state = {k: v for k, v in v2.state_dict().items()
             if not k.startswith('adapter')}
    v1.load_state_dict(state)
    x = torch.randn(1, 2, 6, 6)
    out2, m2, aux = v2(x, v2.init_states(x))
    out1, m1, _ = v1(x, v1.init_states(x))
    torch.testing.assert_close(out1['h'], out2['h'])
    torch.testing.assert_close(m1, m2)
    assert set(aux) == {'loss_decouple'}
    assert v2.adapter.bias is None
    assert v2.adapter.weight.shape == (4, 4, 1, 1)


def test_decoupling_loss_reaches_the_predictor():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(FLYING_CONFIG)
    cfg.model.neck.hidden_channels = 4
    cfg.model.input_frames = cfg.model.output_frames = 2
    model = MODELS.build(cfg.model)
    assert model.aux_loss_weights == dict(loss_decouple=0.64)
    frames = torch.rand(2, 4, 16, 4, 4)  # patched [B, T, 16, H/4, W/4]
    losses = model.loss(frames)
    assert set(losses) == {'loss_frame', 'loss_decouple'}
    # summed over the 4 layers, averaged over steps: within [0, 4 * 0.64]
    assert 0 < losses['loss_decouple'].item() < 4 * 0.64


def test_trains_through_the_runner_with_reverse_sampling(tmp_path):
    runner = train_briefly(
        FLYING_CONFIG, str(tmp_path), iterations=2,
        cfg_options={'model.neck.hidden_channels': 8})
    assert runner.iter == 2
    hub = runner.message_hub
    assert hub.get_scalar('train/loss_decouple').current() > 0
    # the reverse schedule ran: observed steps read the truth with p 0.5
    assert hub.get_scalar('train/reverse_sampling_eta').current() == 0.5


def test_parameters_at_the_msrnn_setting():
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(MSRNN_MODEL).model)
    params = sum(p.numel() for p in model.parameters())
    # PredRNN's 3,591,745 + one 64x64 adapter per layer (the authors share
    # one adapter among the layers: 5 x 4096 fewer)
    assert params == 3_591_745 + 6 * 4096
    assert abs(params / 3.60e6 - 1) < 0.03  # MS-RNN Table 6: 3.60M


def test_states_and_flags():
    cell = SpatioTemporalLSTMv2Cell(2, 8, kernel_size=3)
    assert cell.uses_memory and cell.state_names == ('h', 'c')
