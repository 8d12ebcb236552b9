"""The fast TMU path computes what the previous implementation computed.

``legacy_tmu_forward`` and ``legacy_wrapper_forward`` are the TMU step as it
was implemented before the speed work (one split per source, per-source
norms, the five-operations-per-source memory update of Eq. 5). The tests run
the same weights through both and compare outputs, losses and gradients.
"""
import pytest
import torch
from transfer_fixtures import student_cfg, write_source

from stpredict.models.cells import tmu as tmu_module
from stpredict.models.cells.tmu import TMUCell, check_bank
from stpredict.registry import CELLS, MODELS


def legacy_distill(distiller, c_tilde):
    parts = torch.split(distiller.conv(c_tilde), distiller.channels, dim=1)
    return [norm(part) for norm, part in zip(distiller.norms, parts)]


def legacy_transfer_memory(c_tilde, distilled, gates):
    c_new = c_tilde
    for c_hat, gate in zip(distilled, gates):
        c_new = c_new + gate * c_hat + (1 - gate) * c_tilde
    return c_new


def legacy_transfer_aux(distilled, gates, bank):
    aux = dict(
        transfer_gates=torch.stack([gate.mean() for gate in gates]).detach())
    if bank is not None:
        loss = None
        for c_hat, memory in zip(distilled, bank):
            target = memory.detach().to(c_hat.dtype)
            term = (c_hat - target).pow(2).flatten(1).sum(dim=1).mean()
            loss = term if loss is None else loss + term
        aux['loss_distill'] = loss
    return aux


def legacy_tmu_forward(self, x, states, memory=None, diagonal=None,
                       bank=None):
    h, c = states['h'], states['c']
    pre = self.gates(x, h)
    i, f, o = pre['i'], pre['f'], pre['o']
    if self.peephole:
        w_ci, w_cf, w_co = self.peephole_weight
        i = i + w_ci * c
        f = f + w_cf * c
    c_tilde = torch.sigmoid(f + self.forget_bias) * c + \
        torch.sigmoid(i) * torch.tanh(pre['g'])
    if bank is not None:
        check_bank(type(self).__name__, bank, c_tilde, self.num_sources)
    distilled = legacy_distill(self.distiller, c_tilde)
    gates = torch.split(torch.sigmoid(pre['a']), self.hidden_channels, dim=1)
    c_new = legacy_transfer_memory(c_tilde, distilled, gates)
    c_out = c_new if self.hidden_from == 'transferred' else c_tilde
    if self.peephole:
        o = o + w_co * c_out
    h_new = torch.sigmoid(o) * torch.tanh(c_out)
    return dict(h=h_new, c=c_new), memory, legacy_transfer_aux(
        distilled, gates, bank)


def legacy_wrapper_forward(self, x, states, memory=None, diagonal=None,
                           bank=None):
    new_states, new_memory, inner_aux = self.cell(
        x, states, memory=memory, diagonal=diagonal)
    c_tilde = new_states[self.memory_state]
    h_prev = states[self.output_state]
    gates = torch.split(
        torch.sigmoid(self.transfer_conv(torch.cat([x, h_prev], dim=1))),
        c_tilde.shape[1], dim=1)
    distilled = legacy_distill(self.distiller, c_tilde)
    new_states = dict(new_states)
    new_states[self.memory_state] = legacy_transfer_memory(
        c_tilde, distilled, gates)
    aux = dict(inner_aux)
    aux.update(legacy_transfer_aux(distilled, gates, bank))
    return new_states, new_memory, aux


def close(a, b):
    """Equal up to float32 rounding (relative to the tensor's scale: sums
    in another order differ in the last bits)."""
    scale = max(1.0, b.abs().max().item())
    torch.testing.assert_close(a, b, rtol=1e-5, atol=2e-6 * scale)


CELL_CASES = [
    dict(type='TMUCell', num_sources=2, kernel_size=3, gate_kernel_size=1),
    dict(type='TMUCell', num_sources=3, kernel_size=3),  # fused gates
    dict(type='TMUCell', num_sources=2, kernel_size=3,
         hidden_from='intermediate', norm='group', distiller_norm=None),
    dict(type='TMUCell', num_sources=1, kernel_size=3, spatial_size=(6, 6),
         distiller_norm='layer', distiller_scale=1.0),
    dict(type='MemoryTransferWrapper', num_sources=2, gate_kernel_size=3,
         cell=dict(type='SpatioTemporalLSTMCell', kernel_size=3)),
]


@pytest.mark.parametrize('cfg', CELL_CASES)
def test_one_step_equals_the_legacy_step(cfg):
    torch.manual_seed(0)
    cell = CELLS.build(dict(cfg, in_channels=3, hidden_channels=5))
    with torch.no_grad():  # leave the init so that every term matters
        for p in cell.parameters():
            p.add_(0.3 * torch.randn_like(p))
    legacy = legacy_tmu_forward if isinstance(cell, TMUCell) else \
        legacy_wrapper_forward
    x = torch.randn(2, 3, 6, 6)
    states = {k: torch.randn_like(v)
              for k, v in cell.init_states(torch.zeros(2, 3, 6, 6)).items()}
    memory = torch.randn(2, 5, 6, 6) if cell.uses_memory else None
    bank = [torch.randn(2, 5, 6, 6) for _ in range(cell.num_sources)]

    def run(forward):
        cell.zero_grad()
        new, _, aux = forward(cell, x, states, memory=memory, bank=bank)
        loss = sum(v.pow(2).sum() for v in new.values()) + \
            aux['loss_distill']
        loss.backward()
        return new, aux, {n: p.grad.clone()
                          for n, p in cell.named_parameters()}

    new, aux, grads = run(type(cell).forward)
    old, old_aux, old_grads = run(legacy)
    for key in old:
        close(new[key], old[key])
    close(aux['transfer_gates'], old_aux['transfer_gates'])
    close(aux['loss_distill'], old_aux['loss_distill'])
    for name in old_grads:
        close(grads[name], old_grads[name])


def test_stacked_distiller_is_the_list_of_per_source_norms():
    torch.manual_seed(1)
    cell = TMUCell(2, 4, kernel_size=3, num_sources=3)
    with torch.no_grad():
        for norm in cell.distiller.norms:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-1, 1)
    c_tilde = torch.randn(2, 4, 5, 5)
    stacked = cell.distiller.forward_stacked(c_tilde)
    assert stacked.shape == (2, 3, 4, 5, 5)
    for m, ref in enumerate(legacy_distill(cell.distiller, c_tilde)):
        close(stacked[:, m], ref)


def test_memory_update_by_hand():
    """Eq. 5 with M = 2 on numbers: C~ = 1, Ĉ = (3, -1), a = (0.5, 0.25):
    1 + (0.5 * 3 + 0.5 * 1) + (0.25 * -1 + 0.75 * 1) = 3.5."""
    c_tilde = torch.ones(1, 1, 1, 1)
    distilled = torch.tensor([3.0, -1.0]).view(1, 2, 1, 1, 1)
    gates = torch.tensor([0.5, 0.25]).view(1, 2, 1, 1, 1)
    assert tmu_module.transfer_memory(c_tilde, distilled,
                                      gates).item() == 3.5


def build_student(tmp_path, cell_args, seed=0):
    srcs = []
    for index in range(2):
        config, checkpoint, _ = write_source(tmp_path, f'src{index}',
                                             seed=index + 5)
        srcs.append(dict(config=config, checkpoint=checkpoint))
    torch.manual_seed(seed)
    return MODELS.build(
        student_cfg(dict(type='MemoryTransfer', sources=srcs, beta=0.3),
                    cell='TMUCell', cell_args=cell_args,
                    input_frames=3, output_frames=3))


@pytest.mark.parametrize('cell_args', [
    dict(num_sources=2, peephole=True),
    dict(num_sources=2, peephole=True, gate_kernel_size=1),
])
def test_training_loss_and_gradients_equal_the_legacy_model(
        tmp_path, monkeypatch, cell_args):
    """A whole unroll with two teachers and scheduled sampling: losses and
    every gradient as before."""
    model = build_student(tmp_path, cell_args)
    model.sampling_eta = 0.5
    torch.manual_seed(3)
    frames = torch.rand(2, 6, 4, 4, 4)

    def run():
        model.zero_grad()
        torch.manual_seed(7)  # the same sampling masks
        losses = model(frames, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        return losses, {n: p.grad.clone()
                        for n, p in model.named_parameters()}

    losses, grads = run()
    monkeypatch.setattr(TMUCell, 'forward', legacy_tmu_forward)
    old_losses, old_grads = run()
    assert set(losses) == set(old_losses)
    for key in old_losses:
        close(losses[key], old_losses[key])
    for name in old_grads:
        close(grads[name], old_grads[name])
