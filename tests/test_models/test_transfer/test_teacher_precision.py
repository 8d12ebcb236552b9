"""Teachers of memory transfer: precision and inference mode."""
import pytest
import torch
from transfer_fixtures import student_cfg, write_source

from stpredict.models.transfer import LockstepTeachers
from stpredict.registry import MODELS


def build(tmp_path, **transfer_args):
    srcs = []
    for index in range(2):
        config, checkpoint, _ = write_source(tmp_path, f'src{index}',
                                             seed=index + 1)
        srcs.append(dict(config=config, checkpoint=checkpoint))
    torch.manual_seed(0)
    model = MODELS.build(
        student_cfg(
            dict(type='MemoryTransfer', sources=srcs, **transfer_args),
            cell='TMUCell', cell_args=dict(num_sources=2)))
    torch.manual_seed(1)
    frames = torch.rand(2, 4, 4, 4, 4)
    model.transfer.setup(model, frames)
    return model, frames


def banks(model, frames, precision, autocast=False):
    """The teachers' memories of layer 0 at every step."""
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        teachers = LockstepTeachers(model, model.transfer.sources, frames,
                                    None, precision=precision,
                                    inference=True)
        out = []
        for step in range(3):
            states = teachers.advance(step)
            out.append(torch.stack([s['layers'][0]['c'] for s in states]))
    return torch.stack(out)


def legacy_banks(model, frames, autocast=False):
    """The teachers as they ran before: float32 weights, under the
    student's autocast (if any), no_grad."""
    out, states, preds = [], [None, None], [None, None]
    sources = model.transfer.sources
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast), \
            torch.no_grad():
        inputs = [s.adapt(model, frames) for s in sources]
        for step in range(3):
            for i, source in enumerate(sources):
                x = model.step_input(step, inputs[i], preds[i], None)
                preds[i], states[i], _ = source.model.forward_step(
                    x, states[i])
            out.append(torch.stack([s['layers'][0]['c'] for s in states]))
    return torch.stack(out)


def test_auto_equals_the_previous_teachers_in_float32_and_autocast(
        tmp_path):
    model, frames = build(tmp_path)
    exact = legacy_banks(model, frames)
    assert torch.equal(banks(model, frames, 'auto'), exact)
    amp = banks(model, frames, 'auto', autocast=True)
    # bfloat16 weights cast once equal float32 weights cast at every call
    assert torch.equal(amp, legacy_banks(model, frames, autocast=True))
    assert amp.dtype == torch.float32  # the recurrent memory stays float32
    assert not torch.equal(amp, exact)  # the convolutions were bfloat16
    # float32 teachers ignore the student's autocast
    assert torch.equal(banks(model, frames, 'float32', autocast=True), exact)


def test_bfloat16_teachers_for_a_float32_student(tmp_path):
    model, frames = build(tmp_path, teacher_precision='bfloat16')
    exact = legacy_banks(model, frames)
    low = banks(model, frames, 'bfloat16')
    assert not torch.equal(low, exact)
    torch.testing.assert_close(low, exact, rtol=0.05, atol=0.02)
    # the student trains with them: a finite loss and gradients
    model.train()
    losses = model(torch.rand(2, 4, 4, 4, 4), mode='loss')
    assert torch.isfinite(losses['loss_distill'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.neck.cells[0].distiller.conv.weight.grad.abs().sum() > 0
    copies = model.transfer.sources[0]._low_precision
    assert [key[0] for key in copies] == [torch.bfloat16]


def test_unknown_precision_is_refused(tmp_path):
    with pytest.raises(ValueError,
                       match="teacher_precision must be one of") as error:
        build(tmp_path, teacher_precision='half')
    assert "got 'half'" in str(error.value)
