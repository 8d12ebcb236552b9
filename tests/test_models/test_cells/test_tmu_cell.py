import copy
import math
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from tmu_reference import distilled_by_hand, randomize, xh_gate

from stpredict.models.cells.tmu import MemoryDistiller, TMUCell
from stpredict.registry import CELLS, MODELS
from stpredict.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[3]
TMU_MODEL = ROOT / 'configs/_base_/models/tmu_convlstm_4x64.py'
CONVLSTM_MODEL = ROOT / 'configs/_base_/models/convlstm_4x64.py'


def reference_tmu_step(cell, x, h, c, bank):
    """TMU Eqs. 2-5 (and Eq. 4 for this step), one convolution per term."""
    sig, tanh = torch.sigmoid, torch.tanh
    hid, sources = cell.hidden_channels, cell.num_sources
    w, b = cell.gate_conv.weight, cell.gate_conv.bias

    def lstm(k):  # k = 0, 1, 2, 3 for i, f, g, o
        return xh_gate(w, b, slice(k * hid, (k + 1) * hid), x, h)

    def transfer(m):
        if cell.transfer_conv is None:  # fused after i, f, g, o
            rows = slice((4 + m) * hid, (5 + m) * hid)
            return xh_gate(w, b, rows, x, h)
        return xh_gate(cell.transfer_conv.weight, cell.transfer_conv.bias,
                       slice(m * hid, (m + 1) * hid), x, h)

    w_ci, w_cf, w_co = cell.peephole_weight
    # Eq. 2
    g = tanh(lstm(2))
    i = sig(lstm(0) + w_ci * c)
    f = sig(lstm(1) + w_cf * c)
    c_tilde = f * c + i * g
    # Eq. 3
    c_hat = distilled_by_hand(cell.distiller, c_tilde)
    # Eq. 5
    a = [sig(transfer(m)) for m in range(sources)]
    c_new = c_tilde
    for m in range(sources):
        c_new = c_new + a[m] * c_hat[m] + (1 - a[m]) * c_tilde
    c_read = c_new if cell.hidden_from == 'transferred' else c_tilde
    o = sig(lstm(3) + w_co * c_read)
    h_new = o * tanh(c_read)
    # Eq. 4 at this step: sum over C, H, W, mean over the batch
    loss = sum(((c_hat[m] - bank[m])**2).sum(dim=(1, 2, 3)).mean()
               for m in range(sources))
    gates = torch.stack([a_m.mean() for a_m in a])
    return h_new, c_new, loss, gates


def random_tmu(**kwargs):
    torch.manual_seed(0)
    cfg = dict(kernel_size=3, num_sources=2)
    cfg.update(kwargs)
    return randomize(TMUCell(2, 3, **cfg).double())


def random_inputs(batch=2, cin=2, hid=3, size=(5, 4), sources=2, seed=1):
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    x = rand(batch, cin, *size)
    h = rand(batch, hid, *size)
    c = rand(batch, hid, *size)
    bank = [rand(batch, hid, *size) for _ in range(sources)]
    return x, h, c, bank


@pytest.mark.parametrize('hidden_from', ['transferred', 'intermediate'])
@pytest.mark.parametrize('gate_kernel_size', [None, 1])
def test_one_step_matches_the_equations(hidden_from, gate_kernel_size):
    cell = random_tmu(
        hidden_from=hidden_from, gate_kernel_size=gate_kernel_size)
    assert cell.fused == (gate_kernel_size is None)
    x, h, c, bank = random_inputs()
    states, memory, aux = cell(x, dict(h=h, c=c), bank=bank)
    h_ref, c_ref, loss_ref, gates_ref = reference_tmu_step(cell, x, h, c, bank)
    torch.testing.assert_close(states['h'], h_ref)
    torch.testing.assert_close(states['c'], c_ref)
    torch.testing.assert_close(aux['loss_distill'], loss_ref)
    torch.testing.assert_close(aux['transfer_gates'], gates_ref)
    assert memory is None
    assert set(states) == {'h', 'c'} and set(aux) == {
        'transfer_gates', 'loss_distill'
    }
    assert aux['transfer_gates'].shape == (2, )
    assert not aux['transfer_gates'].requires_grad


def test_hidden_from_changes_only_the_hidden_state():
    x, h, c, bank = random_inputs()
    paper = random_tmu(hidden_from='transferred')
    code = random_tmu(hidden_from='intermediate')
    code.load_state_dict(paper.state_dict())
    s_paper, _, _ = paper(x, dict(h=h, c=c))
    s_code, _, _ = code(x, dict(h=h, c=c))
    torch.testing.assert_close(s_paper['c'], s_code['c'])  # C_t carried
    assert not torch.allclose(s_paper['h'], s_code['h'])


def test_hand_computed_1x1_step():
    """One channel, two pixels, one source, worked out by hand.

    The gate kernels are zero, so every gate is its bias; the two pixels
    differ only by C_{t-1} (2 and 4), so C~ differs by 2 between them and
    the LayerNorm of Eq. 3 (identity 1x1 distiller) maps them to
    -+1 / sqrt(1 + eps), then the affine (gamma 1, beta 0.3).
    """
    cell = TMUCell(1, 1, kernel_size=1, num_sources=1)
    with torch.no_grad():
        cell.gate_conv.weight.zero_()  # rows i, f, g, o, a
        cell.gate_conv.bias.copy_(torch.tensor([0.0, 100.0, 1.0, 0.0, 0.0]))
        cell.peephole_weight.zero_()
        cell.distiller.conv.weight.fill_(1.0)
        cell.distiller.norms[0].weight.fill_(1.0)
        cell.distiller.norms[0].bias.fill_(0.3)
    x = torch.full((1, 1, 1, 2), 0.5)
    h = torch.zeros(1, 1, 1, 2)
    c = torch.tensor([2.0, 4.0]).view(1, 1, 1, 2)
    bank = [torch.ones(1, 1, 1, 2)]
    states, _, aux = cell(x, dict(h=h, c=c), bank=bank)
    i, f, g, a, o = 0.5, 1.0, math.tanh(1.0), 0.5, 0.5
    eps = cell.distiller.norms[0].eps
    loss = 0.0
    for pixel, c_prev in enumerate((2.0, 4.0)):
        c_tilde = f * c_prev + i * g
        c_hat = (-1.0 if pixel == 0 else 1.0) / math.sqrt(1 + eps) + 0.3
        c_new = c_tilde + a * c_hat + (1 - a) * c_tilde
        h_new = o * math.tanh(c_new)
        assert states['c'][0, 0, 0, pixel].item() == pytest.approx(c_new)
        assert states['h'][0, 0, 0, pixel].item() == pytest.approx(h_new)
        loss += (c_hat - 1.0)**2  # summed over the frame, batch of one
    assert aux['loss_distill'].item() == pytest.approx(loss)
    assert aux['transfer_gates'].tolist() == pytest.approx([0.5])


def test_fused_and_separate_gate_convolutions():
    cell = CELLS.build(dict(type='TMUCell', in_channels=2, hidden_channels=8))
    # i, f, g, o and a^1, a^2 from ONE convolution on [X, H]
    assert cell.gate_conv.weight.shape == ((4 + 2) * 8, 10, 5, 5)
    assert cell.transfer_conv is None
    # the two 1x1 distillers, fused, without bias
    assert isinstance(cell.distiller, MemoryDistiller)
    assert cell.distiller.conv.weight.shape == (16, 8, 1, 1)
    assert cell.distiller.conv.bias is None
    assert all(
        isinstance(n, torch.nn.GroupNorm) and n.num_groups == 1
        for n in cell.distiller.norms)
    assert cell.peephole_weight.shape == (3, 8, 1, 1)
    separate = TMUCell(2, 8, num_sources=3, gate_kernel_size=3)
    assert separate.gate_conv.weight.shape == (32, 10, 5, 5)
    assert separate.transfer_conv.weight.shape == (24, 10, 3, 3)
    assert TMUCell.uses_memory_bank and not TMUCell.uses_memory
    assert TMUCell.state_names == ('h', 'c')


def test_teachers_get_no_gradient_and_distillers_learn():
    cell = random_tmu()
    x, h, c, bank = random_inputs()
    bank = [memory.requires_grad_() for memory in bank]
    states, _, aux = cell(x, dict(h=h, c=c), bank=bank)
    aux['loss_distill'].backward()
    # the bank holds constants: teachers get nothing back
    assert all(memory.grad is None for memory in bank)
    assert cell.distiller.conv.weight.grad.abs().sum() > 0
    for norm in cell.distiller.norms:
        assert norm.weight.grad.abs().sum() > 0
    # Eq. 4 reads C~, not the transfer gates
    gate_grad = cell.gate_conv.weight.grad
    hid = cell.hidden_channels
    assert gate_grad[:3 * hid].abs().sum() > 0  # i, f, g shape C~
    assert gate_grad[4 * hid:].abs().sum() == 0

    # the transfer gates learn from the prediction loss (through H)
    cell.zero_grad()
    states, _, _ = cell(x, dict(h=h, c=c), bank=bank)
    states['h'].sum().backward()
    assert cell.gate_conv.weight.grad[4 * hid:].abs().sum() > 0
    assert cell.gate_conv.bias.grad[4 * hid:].abs().sum() > 0
    assert all(memory.grad is None for memory in bank)


def test_intermediate_hidden_reaches_the_gates_at_the_next_step():
    cell = random_tmu(hidden_from='intermediate')
    hid = cell.hidden_channels
    x, h, c, _ = random_inputs()
    states, _, _ = cell(x, dict(h=h, c=c))
    states['h'].sum().backward(retain_graph=True)
    # H_t = o * tanh(C~_t): the gates of this step do not touch it
    assert cell.gate_conv.weight.grad[4 * hid:].abs().sum() == 0
    cell.zero_grad()
    states, _, _ = cell(x, states)
    states['h'].sum().backward()
    assert cell.gate_conv.weight.grad[4 * hid:].abs().sum() > 0


def test_without_a_bank_at_test_time():
    cell = random_tmu()
    x, h, c, bank = random_inputs()
    with_bank, _, aux_bank = cell(x, dict(h=h, c=c), bank=bank)
    alone, memory, aux = cell(x, dict(h=h, c=c))
    # the bank only enters the loss, never the forward values
    torch.testing.assert_close(alone['h'], with_bank['h'])
    torch.testing.assert_close(alone['c'], with_bank['c'])
    assert set(aux) == {'transfer_gates'} and memory is None
    torch.testing.assert_close(aux['transfer_gates'],
                               aux_bank['transfer_gates'])


def test_bank_is_validated():
    cell = random_tmu()
    x, h, c, bank = random_inputs()
    with pytest.raises(ValueError, match=r'num_sources=2 .* holds 1'):
        cell(x, dict(h=h, c=c), bank=bank[:1])
    with pytest.raises(ValueError, match='list of 2 tensors'):
        cell(x, dict(h=h, c=c), bank=bank[0])
    wrong = [bank[0], torch.zeros(2, 3, 10, 8, dtype=torch.float64)]
    with pytest.raises(ValueError) as error:
        cell(x, dict(h=h, c=c), bank=wrong)
    message = str(error.value)
    assert "source 1's memory has shape (2, 3, 10, 8)" in message
    assert "C~ has shape (2, 3, 5, 4)" in message
    assert re.search(
        'same hidden_channels and make frame_size / patch_size '
        r'agree \(TMU Sec\. 4\)', message)
    with pytest.raises(ValueError, match=r'shape \(2, 5, 5, 4\)'):
        cell(
            x,
            dict(h=h, c=c),
            bank=[bank[0],
                  torch.zeros(2, 5, 5, 4, dtype=torch.float64)])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='num_sources >= 1'):
        TMUCell(1, 4, num_sources=0)
    with pytest.raises(ValueError, match='hidden_from'):
        TMUCell(1, 4, hidden_from='final')
    with pytest.raises(ValueError, match='gate_kernel_size'):
        TMUCell(1, 4, gate_kernel_size=4)
    with pytest.raises(ValueError, match='spatial_size'):
        TMUCell(1, 4, distiller_norm='layer')
    with pytest.raises(ValueError, match='Unknown cell norm'):
        TMUCell(1, 4, distiller_norm='batch')


def test_layer_norm_distillers_and_spatial_peepholes():
    cell = TMUCell(
        1, 4, kernel_size=3, spatial_size=(6, 6), distiller_norm='layer')
    assert cell.peephole_weight.shape == (3, 4, 6, 6)
    assert cell.distiller.norms[0].weight.shape == (4, 6, 6)
    x = torch.randn(2, 1, 6, 6)
    states, _, aux = cell(
        x, cell.init_states(x), bank=[torch.randn(2, 4, 6, 6)] * 2)
    assert aux['loss_distill'].ndim == 0
    y = torch.randn(1, 1, 8, 8)
    with pytest.raises(ValueError, match=r'spatial_size=\(6, 6\)'):
        cell(y, cell.init_states(y))


# ---------------------------------------------------------------------------
# MemoryTransferWrapper
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# the model at TMU Table 1's setting
# ---------------------------------------------------------------------------
def build_model(cells=None, **neck_options):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(TMU_MODEL)).model.to_dict()
    if cells is not None:
        cfg['neck']['cell'] = cells
    cfg['neck'].update(neck_options)
    return MODELS.build(cfg)


def count(model):
    return sum(p.numel() for p in model.parameters())


def test_parameters_at_the_table1_setting():
    """TMU Table 1: ConvLSTM 3.0M, TMU (2 sources) 3.6M at test time.

    4 layers x 64, 5x5 kernels, 4x4 patches of 64x64 frames (16 channels at
    16x16), no stem, 1x1 head without bias (64 * 16 = 1,024).

    (a) ConvLSTM (no peepholes), gates conv on [X, H] -> 4 * 64 = 256:
        layer 0: (16 + 64) * 256 * 25 + 256 =   512,256
        layers 1-3: (64 + 64) * 256 * 25 + 256 = 819,456 each
        512,256 + 3 * 819,456 + 1,024 = 2,971,648 (the paper's 3.0M).
    A TMU layer adds to its ConvLSTM layer:
        transfer gates (fused): (in + 64) * 128 * k * k + 128
        distillers: 1x1 conv 64 -> 2 * 64 without bias 8,192, two
        GroupNorm(1, 64) affines 2 * 128 = 256; peepholes 3 * 64 = 192.
      with k = 5: layer 0 + 256,000 + 128 + 8,640 = + 264,768
                  layers 1-3 + 409,600 + 128 + 8,640 = + 418,368 each
    (b) TMU in every layer (paper: "four stacked TMU layers", 5x5 filters):
        2,971,648 + 264,768 + 3 * 418,368 = 4,491,520 (4.5M)
    (c) TMU in layer 0 only (the released code):
        2,971,648 + 264,768 = 3,236,416 (3.2M)
    (d) TMU in every layer with 3x3 transfer gates:
        layer 0 + 80 * 128 * 9 + 128 + 8,640 = + 100,928,
        layers 1-3 + 128 * 128 * 9 + 128 + 8,640 = + 156,224 each:
        2,971,648 + 100,928 + 3 * 156,224 = 3,541,248 (3.54M; with two
        2.97M teachers 9.49M in training, the paper's 9.5M)
    (e) 5x5 TMU layers 0 and 1, ConvLSTM above: 2,971,648 + 264,768 +
        418,368 = 3,654,784 (3.65M).
    """
    convlstm = dict(type='ConvLSTMCell', kernel_size=5)
    tmu = dict(type='TMUCell', kernel_size=5, num_sources=2)
    model_a = build_model(convlstm)
    assert count(model_a) == 2_971_648
    # the base config: 3x3 transfer gates in every layer (= model d)
    assert count(build_model()) == 3_541_248
    model_b = build_model(tmu)
    assert all(isinstance(cell, TMUCell) for cell in model_b.neck.cells)
    per_layer = [count(cell) for cell in model_b.neck.cells]
    assert per_layer == [512_256 + 264_768] + [819_456 + 418_368] * 3
    assert count(model_b) == 4_491_520
    model_c = build_model([tmu] + [convlstm] * 3)
    assert count(model_c) == 3_236_416
    model_d = build_model(dict(tmu, gate_kernel_size=3))
    assert count(model_d) == 3_541_248
    model_e = build_model([tmu, tmu, convlstm, convlstm])
    assert count(model_e) == 3_654_784
    # the training-time figure: student + two ConvLSTM teachers
    assert abs(count(model_d) + 2 * count(model_a) - 9.5e6) < 0.05e6


def test_table1_model_runs_without_teachers():
    """Trained from scratch or tested: no bank, no distillation loss."""
    model = build_model(hidden_channels=8)
    assert model.aux_loss_weights == {}  # beta lives in the transfer
    frames = torch.rand(1, 20, 16, 8, 8)  # patched 4x4: 32x32 frames
    losses = model(frames, mode='loss')
    assert set(losses) == {'loss_frame'}
    preds = model(frames[:, :10], mode='tensor')
    assert preds.shape == (1, 19, 16, 8, 8)


def test_distillation_loss_is_averaged_over_steps_and_summed_over_layers():
    from stpredict.models.transfer.base_transfer import sum_aux_over_layers
    aux = [[
        dict(
            loss_distill=torch.tensor(float(step + layer)),
            transfer_gates=torch.ones(2)) for layer in range(4)
    ] for step in range(3)]
    # sum over layers and steps: 4 * (0 + 1 + 2) + 3 * (0 + 1 + 2 + 3),
    # averaged over the 3 steps (MemoryTransfer multiplies it by beta)
    total = sum_aux_over_layers(copy.deepcopy(aux), 'loss_distill')
    assert total.item() == pytest.approx(30.0 / 3)
