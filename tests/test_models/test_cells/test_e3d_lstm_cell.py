import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from stpredict.models.cells.e3d_lstm import E3DLSTMCell, recall_attention
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

FLYING_CONFIG = 'configs/e3d_lstm/e3d_lstm_4x64_flying2digits-10to10.py'
MSRNN_MODEL = 'configs/_base_/models/e3d_lstm_6x64_msrnn.py'
PREDRNN_MODEL = 'configs/_base_/models/e3d_lstm_4x64.py'


# ----------------------------------------------------------------------
# the recall attention
# ----------------------------------------------------------------------
def test_recall_by_hand():
    # one channel, one window slot, one pixel: query 1 against the past
    # states 2 and 0 -> weights softmax([2, 0]) on the values 2 and 0
    query = torch.ones(1, 1, 1, 1, 1)
    history = torch.tensor([2.0, 0.0]).view(1, 2, 1, 1, 1, 1)
    out = recall_attention(query, history)
    expected = 2 * math.exp(2) / (math.exp(2) + 1)
    assert out.item() == pytest.approx(expected, rel=1e-6)
    # a masked slot takes no part: only the 0 is left
    out = recall_attention(query, history, valid=torch.tensor([[0.0, 1.0]]))
    assert out.item() == pytest.approx(0.0, abs=1e-7)
    out = recall_attention(query, history, valid=torch.tensor([[1.0, 0.0]]))
    assert out.item() == pytest.approx(2.0, rel=1e-6)


def test_recall_global_and_pixel_scopes_by_hand():
    # two pixels (W = 2), one past state [a, b] = [3, -1], query [1, 1]:
    # global: every query position sees both values -> softmax([3, -1])
    # pixel: each position sees only its own value -> the value itself
    query = torch.ones(1, 1, 1, 1, 2)
    history = torch.tensor([3.0, -1.0]).view(1, 1, 1, 1, 1, 2)
    w = math.exp(3) / (math.exp(3) + math.exp(-1))
    glob = recall_attention(query, history, scope='global')
    torch.testing.assert_close(glob.flatten(),
                               torch.full((2, ), 3 * w - (1 - w)))
    pixel = recall_attention(query, history, scope='pixel')
    torch.testing.assert_close(pixel.flatten(), torch.tensor([3.0, -1.0]))


def reference_recall(query, history, valid, scope):
    """softmax(R . C^T) . C over the valid slots, written out with einsum."""
    out = torch.empty_like(query)
    for b in range(query.shape[0]):
        hist = history[b][valid[b] != 0]  # [n, C, T', H, W]
        if scope == 'global':
            q = query[b].flatten(1)  # [C, P]
            k = hist.permute(1, 0, 2, 3, 4).flatten(1)  # [C, n T' H W]
            att = torch.softmax(torch.einsum('cp,ck->pk', q, k), dim=1)
            out[b] = torch.einsum('pk,ck->cp', att, k).view_as(query[b])
        else:  # per pixel: keys are the n * T' vectors at the same (y, x)
            k = hist.permute(1, 0, 2, 3, 4).flatten(1, 2)  # [C, nT', H, W]
            logits = torch.einsum('cdyx,ckyx->dkyx', query[b], k)
            att = torch.softmax(logits, dim=1)
            out[b] = torch.einsum('dkyx,ckyx->cdyx', att, k)
    return out


@pytest.mark.parametrize('scope', ['global', 'pixel'])
def test_recall_matches_a_written_out_softmax(scope):
    torch.manual_seed(0)
    query = torch.rand(2, 3, 2, 3, 4, dtype=torch.float64)
    history = torch.randn(2, 4, 3, 2, 3, 4, dtype=torch.float64)
    valid = torch.tensor([[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]],
                         dtype=torch.float64)
    torch.testing.assert_close(
        recall_attention(query, history, valid, scope),
        reference_recall(query, history, valid, scope))


# ----------------------------------------------------------------------
# one step against the paper's equations
# ----------------------------------------------------------------------
def conv3d_same(x, weight):
    """3D convolution, temporal kernel 2 padded by one zero after the clip
    (TensorFlow 'same'), spatial 'same' padding."""
    pad = weight.shape[-1] // 2
    if weight.shape[2] == 2:
        x = F.pad(x, (0, 0, 0, 0, 0, 1))
    return F.conv3d(x, weight, padding=(0, pad, pad))


def reference_e3d_step(cell, x5, h5, c5, m5, history, valid):
    """Eq. 3 of the E3D-LSTM paper, one convolution per weight."""
    hid = cell.hidden_channels
    cin = x5.shape[1]
    w_t, b_t = cell.temporal_conv.weight, cell.temporal_conv.bias
    w_s, b_s = cell.spatial_conv.weight, cell.spatial_conv.bias

    def gate(w, b, k, other):
        rows = slice(k * hid, (k + 1) * hid)
        return (conv3d_same(x5, w[rows, :cin]) +
                conv3d_same(other, w[rows, cin:]) +
                b[rows].view(1, -1, 1, 1, 1))

    r = torch.sigmoid(gate(w_t, b_t, 0, h5))
    i = torch.sigmoid(gate(w_t, b_t, 1, h5))
    g = torch.tanh(gate(w_t, b_t, 2, h5))
    o_xh = gate(w_t, b_t, 3, h5)
    i_m = torch.sigmoid(gate(w_s, b_s, 0, m5))
    g_m = torch.tanh(gate(w_s, b_s, 1, m5))
    f_m = torch.sigmoid(gate(w_s, b_s, 2, m5) + cell.forget_bias)

    recall = reference_recall(r, history, valid, cell.recall_scope)
    pre = c5 + recall
    mean = pre.mean(dim=(1, 2, 3, 4), keepdim=True)
    var = pre.var(dim=(1, 2, 3, 4), unbiased=False, keepdim=True)
    gamma = cell.recall_norm.weight.view(1, -1, 1, 1, 1)
    beta = cell.recall_norm.bias.view(1, -1, 1, 1, 1)
    layer_norm = (pre - mean) / torch.sqrt(var + 1e-5) * gamma + beta
    c_new = i * g + layer_norm
    m_new = i_m * g_m + f_m * m5
    w_o = cell.output_conv.weight
    o = torch.sigmoid(o_xh + conv3d_same(c_new, w_o[:, :hid]) +
                      conv3d_same(m_new, w_o[:, hid:]) +
                      cell.output_conv.bias.view(1, -1, 1, 1, 1))
    w_1 = cell.fusion_conv.weight
    fused = (
        F.conv3d(c_new, w_1[:, :hid]) + F.conv3d(m_new, w_1[:, hid:]) +
        cell.fusion_conv.bias.view(1, -1, 1, 1, 1))
    return o * torch.tanh(fused), c_new, m_new


def fold(x5):
    return x5.flatten(1, 2)


@pytest.mark.parametrize('scope', ['global', 'pixel'])
def test_one_step_matches_the_equations(scope):
    """Layer 0 (reads one frame) with a partly filled eidetic history."""
    torch.manual_seed(0)
    cin, hid, clip, tau, size = 2, 3, 2, 4, (4, 5)
    cell = E3DLSTMCell(
        cin,
        hid,
        kernel_size=3,
        window_length=clip,
        tau=tau,
        recall_scope=scope).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.4)
    frame = torch.randn(2, cin, *size, dtype=torch.float64)
    old_window = torch.randn(2, cin, clip, *size, dtype=torch.float64)
    h5, c5, m5 = (
        torch.randn(2, hid, clip, *size, dtype=torch.float64)
        for _ in range(3))
    old_history = torch.randn(2, tau, hid, clip, *size, dtype=torch.float64)
    old_valid = torch.tensor([[0, 0, 1, 1], [1, 1, 1, 1]],
                             dtype=torch.float64).view(2, tau, 1, 1)
    states = dict(
        h=fold(h5),
        c=fold(c5),
        x_window=fold(old_window),
        c_history=old_history.flatten(1, 3),
        history_valid=old_valid)
    new, memory, aux = cell(frame, states, memory=fold(m5))

    # the window slides: [x_{t-1}, x_t]; C_{t-1} enters the history
    x5 = torch.stack([old_window[:, :, 1], frame], dim=2)
    history = torch.cat([old_history[:, 1:], c5.unsqueeze(1)], dim=1)
    valid = torch.tensor([[0, 1, 1, 1], [1, 1, 1, 1]], dtype=torch.float64)
    h_ref, c_ref, m_ref = reference_e3d_step(cell, x5, h5, c5, m5, history,
                                             valid)
    torch.testing.assert_close(new['h'], fold(h_ref))
    torch.testing.assert_close(new['c'], fold(c_ref))
    torch.testing.assert_close(memory, fold(m_ref))
    torch.testing.assert_close(new['x_window'], fold(x5))
    torch.testing.assert_close(new['c_history'], history.flatten(1, 3))
    torch.testing.assert_close(new['history_valid'].flatten(1), valid)
    assert aux == {}


def test_upper_layers_read_the_clip_below():
    torch.manual_seed(0)
    cell = E3DLSTMCell(3, 4, kernel_size=3, window_length=2, tau=2).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.normal_(0, 0.4)
    clip = torch.randn(1, 3 * 2, 4, 4, dtype=torch.float64)  # H of layer below
    states = cell.init_states(clip)
    memory = torch.randn(1, 4 * 2, 4, 4, dtype=torch.float64)
    new, m_new, _ = cell(clip, states, memory=memory)
    assert new['x_window'] is clip
    x5 = clip.view(1, 3, 2, 4, 4)
    zeros = torch.zeros(1, 4, 2, 4, 4, dtype=torch.float64)
    history = torch.stack([zeros, zeros], dim=1)
    h_ref, c_ref, m_ref = reference_e3d_step(
        cell, x5, zeros, zeros, memory.view(1, 4, 2, 4, 4), history,
        torch.tensor([[0.0, 1.0]], dtype=torch.float64))
    torch.testing.assert_close(new['h'], fold(h_ref))
    torch.testing.assert_close(m_new, fold(m_ref))
    assert cell.out_channels == 8 and cell.memory_channels == 8
    with pytest.raises(ValueError, match='clip of 6'):
        cell(torch.zeros(1, 5, 4, 4, dtype=torch.float64), states)


def test_history_and_memory_are_updated_every_step():
    """Not OpenSTL's defect: the global memory M and the eidetic history
    change at every step."""
    torch.manual_seed(0)
    cell = E3DLSTMCell(1, 2, kernel_size=3, tau=3)
    x = torch.rand(2, 1, 4, 4)
    states = cell.init_states(x)
    memory = cell.init_memory(x)
    cs, memories = [states['c']], [memory]
    for step in range(4):
        states, memory, _ = cell(torch.rand(2, 1, 4, 4), states, memory)
        assert not torch.equal(memory, memories[-1])
        cs.append(states['c'])
        memories.append(memory)
        filled = min(step + 1, 3)
        expected = torch.tensor([0.0] * (3 - filled) + [1.0] * filled)
        torch.testing.assert_close(states['history_valid'][0].flatten(),
                                   expected)
    # the history holds C_{t-3}, C_{t-2}, C_{t-1} for the last step t = 3
    history = states['c_history'].view(2, 3, 2 * 2, 4, 4)
    for slot, c in enumerate(cs[1:4]):
        torch.testing.assert_close(history[:, slot], c)


def test_states_follow_the_input():
    cell = E3DLSTMCell(3, 5, kernel_size=3, window_length=2, tau=4)
    x = torch.zeros(2, 3, 7, 9, dtype=torch.float64)
    states = cell.init_states(x)
    shapes = dict(h=10, c=10, x_window=6, c_history=40)
    for name, channels in shapes.items():
        assert states[name].shape == (2, channels, 7, 9), name
        assert states[name].dtype == torch.float64
    assert states['history_valid'].shape == (2, 4, 1, 1)
    y = torch.randn(1, 3, 4, 6)
    cell = cell.float()
    out, memory, _ = cell(y, cell.init_states(y), cell.init_memory(y))
    assert out['h'].shape == (1, 10, 4, 6) and memory.shape == (1, 10, 4, 6)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='recall_scope'):
        E3DLSTMCell(1, 4, recall_scope='local')
    with pytest.raises(ValueError, match='tau'):
        E3DLSTMCell(1, 4, tau=0)
    with pytest.raises(ValueError, match='spatial_size'):
        E3DLSTMCell(1, 4, norm='layer')


def count_params(config):
    register_all_modules(init_default_scope=False)
    model = MODELS.build(Config.fromfile(config).model)
    return sum(p.numel() for p in model.parameters())


def test_param_counts():
    """No MS-RNN number exists for E3D-LSTM; these are the counts.

    MS-RNN setting (6 x 64, 2x3x3): layer 0 reads the 64-channel stem
    output, every layer: temporal 128 -> 256 (2x3x3) 589,824 + 256,
    spatial 442,368 + 192, output 147,456 + 64, 1x1x1 fusion 8,192 + 64,
    recall norm 128 = 1,188,544; x 6 + stem 128 + head 129.
    """
    count = count_params(MSRNN_MODEL)
    assert count == 6 * 1_188_544 + 128 + 129 == 7_131_521
    # PredRNN setting (4 x 64, 2x5x5, 16-channel patched frames)
    assert count_params(PREDRNN_MODEL) == 12_069_632


def test_flying_config_head_reads_the_top_clip():
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(FLYING_CONFIG).model
    cfg.neck.update(hidden_channels=4)
    cfg.neck.cell.tau = 2
    model = MODELS.build(cfg)
    assert isinstance(model.neck.cells[0], E3DLSTMCell)
    # the head reads the top layer's 2-slot clip
    assert model.head.in_channels == 8


def test_convolution_shapes():
    cell = E3DLSTMCell(2, 8)
    assert cell.temporal_conv.weight.shape == (32, 10, 2, 5, 5)
    assert cell.spatial_conv.weight.shape == (24, 10, 2, 5, 5)
    assert cell.fusion_conv.weight.shape == (8, 16, 1, 1, 1)
