import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.mau import MAUCell
from stpredict.registry import MODELS
from stpredict.testing import train_briefly
from stpredict.utils import register_all_modules

FLYING_CONFIG = 'configs/mau/mau_4x64_flying2digits-10to10.py'
MMNIST_CONFIG = 'configs/mau/mau_4x64_mmnist-10to10.py'
MSRNN_MODEL = 'configs/_base_/models/mau_6x64_msrnn.py'
PREDRNN_MODEL = 'configs/_base_/models/mau_4x64.py'


def test_attention_weights_by_hand():
    cell = MAUCell(1, 1, kernel_size=1, tau=2)
    # one pixel, one channel: query 2 against past spatial states 1 and -1,
    # d = C * H * W = 1 -> softmax([2, -2])
    query = torch.full((1, 1, 1, 1), 2.0)
    s_history = torch.tensor([1.0, -1.0]).view(1, 2, 1, 1, 1)
    alpha = cell.attention_weights(query, s_history)
    expected = torch.softmax(torch.tensor([2.0, -2.0]), dim=0)
    torch.testing.assert_close(alpha, expected.view(1, 2))
    # four pixels: the dot product runs over all of them, scaled by sqrt(4)
    query = torch.tensor([1.0, 0.0, 2.0, -1.0]).view(1, 1, 2, 2)
    s_history = torch.stack([torch.ones(1, 2, 2), torch.zeros(1, 2, 2)])
    alpha = cell.attention_weights(query, s_history.unsqueeze(0))
    w0 = math.exp(2.0 / 2.0) / (math.exp(2.0 / 2.0) + 1.0)
    torch.testing.assert_close(alpha, torch.tensor([[w0, 1.0 - w0]]))


def reference_mau_step(cell, s_in, t_prev, t_hist, s_hist):
    """MAU's attention and fusion modules, one convolution per weight."""
    hid, cin = cell.hidden_channels, s_in.shape[1]
    pad = cell.kernel_size[0] // 2

    def conv(x, module, rows):
        return F.conv2d(x, module.weight[rows], module.bias[rows], padding=pad)

    w_su = conv(s_in, cell.spatial_conv, slice(0, hid))
    w_st = conv(s_in, cell.spatial_conv, slice(hid, 2 * hid))
    w_ss = conv(s_in, cell.spatial_conv, slice(2 * hid, 3 * hid))
    query = conv(s_in, cell.spatial_conv, slice(3 * hid, 3 * hid + cin))
    # attention module
    d = query[0].numel()
    logits = torch.stack(
        [(query * s_hist[:, j]).sum(dim=(1, 2, 3)) / math.sqrt(d)
         for j in range(cell.tau)],
        dim=1)
    alpha = torch.softmax(logits, dim=1)
    t_att = sum(alpha[:, j].view(-1, 1, 1, 1) * t_hist[:, j]
                for j in range(cell.tau))
    u_f = torch.sigmoid(
        F.conv2d(
            t_prev,
            cell.forget_conv.weight,
            cell.forget_conv.bias,
            padding=pad))
    t_ami = u_f * t_prev + (1 - u_f) * t_att
    # fusion module
    w_tu = conv(t_ami, cell.temporal_conv, slice(0, hid))
    w_tt = conv(t_ami, cell.temporal_conv, slice(hid, 2 * hid))
    w_ts = conv(t_ami, cell.temporal_conv, slice(2 * hid, 3 * hid))
    u_t, u_s = torch.sigmoid(w_tu), torch.sigmoid(w_su)
    t_new = u_t * w_tt + (1 - u_t) * w_st
    s_new = u_s * w_ss + (1 - u_s) * w_ts
    if cell.cell_mode == 'residual':
        s_new = s_new + s_in
    return t_new, s_new


@pytest.mark.parametrize('cell_mode,cin', [('normal', 2), ('residual', 3)])
def test_one_step_matches_the_equations(cell_mode, cin):
    torch.manual_seed(0)
    hid, tau, size = 3, 3, (4, 5)
    cell = MAUCell(
        cin, hid, kernel_size=3, tau=tau, cell_mode=cell_mode).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.4)
    s_in = torch.randn(2, cin, *size, dtype=torch.float64)
    t_prev = torch.randn(2, hid, *size, dtype=torch.float64)
    t_hist = torch.randn(2, tau, hid, *size, dtype=torch.float64)
    s_hist = torch.randn(2, tau, cin, *size, dtype=torch.float64)
    states = dict(
        t=t_prev,
        s=torch.zeros(2, hid, *size, dtype=torch.float64),
        t_history=t_hist.flatten(1, 2),
        s_history=s_hist.flatten(1, 2))
    new, memory, aux = cell(s_in, states)
    t_ref, s_ref = reference_mau_step(cell, s_in, t_prev, t_hist, s_hist)
    torch.testing.assert_close(new['t'], t_ref)
    torch.testing.assert_close(new['s'], s_ref)
    # the histories drop the oldest step and append this one
    torch.testing.assert_close(
        new['t_history'],
        torch.cat([t_hist[:, 1:], t_ref.unsqueeze(1)], 1).flatten(1, 2))
    torch.testing.assert_close(
        new['s_history'],
        torch.cat([s_hist[:, 1:], s_in.unsqueeze(1)], 1).flatten(1, 2))
    assert memory is None and aux == {}


def test_states_follow_the_input():
    cell = MAUCell(3, 5, kernel_size=3, tau=4)
    x = torch.zeros(2, 3, 7, 9, dtype=torch.float64)
    states = cell.init_states(x)
    shapes = dict(t=5, s=5, t_history=20, s_history=12)
    for name, channels in shapes.items():
        assert states[name].shape == (2, channels, 7, 9), name
        assert states[name].dtype == torch.float64
    assert cell.output_state == 's' and cell.out_channels == 5
    y = torch.randn(1, 3, 4, 6)
    out, _, _ = cell.float()(y, cell.init_states(y))
    assert out['s'].shape == (1, 5, 4, 6)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='in_channels must equal'):
        MAUCell(1, 4, cell_mode='residual')
    with pytest.raises(ValueError, match='cell_mode'):
        MAUCell(4, 4, cell_mode='recall')
    with pytest.raises(ValueError, match='tau'):
        MAUCell(4, 4, tau=0)


def test_eta_decays_in_a_run(tmp_path):
    runner = train_briefly(
        FLYING_CONFIG,
        str(tmp_path),
        iterations=2,
        cfg_options={'model.neck.hidden_channels': 8})
    assert runner.iter == 2
    assert isinstance(runner.model.neck.cells[0], MAUCell)
    # Not OpenSTL's defect: the scheduled-sampling eta really decays
    # (1 at iteration 0, 0.5 at iteration 1 of a 2-iteration schedule).
    assert runner.model.sampling_eta == pytest.approx(0.5)


@pytest.mark.parametrize('config', [FLYING_CONFIG, MMNIST_CONFIG])
def test_configs_decay_eta(config):
    hooks = Config.fromfile(config).custom_hooks
    sampling = [h for h in hooks if h['type'] == 'ScheduledSamplingHook']
    assert len(sampling) == 1
    assert sampling[0]['schedule'] == 'linear'
    assert sampling[0]['end_iter'] == 50000


def count_params(config):
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(config).model)
    return sum(p.numel() for p in model.parameters())


def test_param_counts():
    """No MS-RNN number exists for MAU; these are the counts.

    MS-RNN setting (6 x 64, 3x3): per layer spatial 64 -> 256 (147,712),
    temporal 64 -> 192 (110,784), forget 64 -> 64 (36,928) = 295,424;
    x 6 + stem 128 + head 65.
    """
    assert count_params(MSRNN_MODEL) == 6 * 295_424 + 128 + 65 == 1_772_737
    # PredRNN setting (4 x 64, 5x5, 16-channel patched frames, head 64 -> 16)
    assert count_params(PREDRNN_MODEL) == 493_264 + 3 * 819_712 + 1024


def test_convolution_shapes():
    cell = MAUCell(2, 8)
    assert cell.spatial_conv.weight.shape == (26, 2, 5, 5)
    assert cell.temporal_conv.weight.shape == (24, 8, 5, 5)
    assert cell.forget_conv.weight.shape == (8, 8, 5, 5)
