import pytest
import torch
from transfer_fixtures import student_cfg, write_source

from stpredict.registry import MODELS


def test_finetune_copies_matching_weights(tmp_path):
    _, checkpoint, source = write_source(tmp_path)
    torch.manual_seed(5)
    student = MODELS.build(student_cfg(
        dict(type='Finetune', checkpoint=checkpoint)))
    assert not torch.equal(student.neck.cells[0].gate_conv.weight,
                           source.neck.cells[0].gate_conv.weight)
    student.init_weights()
    for name, param in source.named_parameters():
        assert torch.equal(dict(student.named_parameters())[name], param)
    assert len(student.transfer.loaded_names) == len(list(
        source.parameters()))
    # nothing of the source is kept in the student's checkpoint
    assert not any(k.startswith('transfer.')
                   for k in student.state_dict())


def test_finetune_subset_and_shape_mismatch(tmp_path):
    _, checkpoint, source = write_source(tmp_path)
    torch.manual_seed(5)
    student = MODELS.build(student_cfg(
        dict(type='Finetune', checkpoint=checkpoint,
             exclude=[r'^neck\.cells\.1\.'])))
    fresh = student.neck.cells[1].gate_conv.weight.detach().clone()
    student.init_weights()
    assert torch.equal(student.neck.cells[0].gate_conv.weight,
                       source.neck.cells[0].gate_conv.weight)
    assert torch.equal(student.neck.cells[1].gate_conv.weight, fresh)
    # a wider student keeps fresh weights where shapes differ
    wide = MODELS.build(student_cfg(
        dict(type='Finetune', checkpoint=checkpoint),
        neck=dict(type='SingleScaleStack',
                  cell=dict(type='ConvLSTMCell', kernel_size=3),
                  num_layers=2, hidden_channels=[4, 6])))
    wide.init_weights()
    assert 'neck.cells.0.gate_conv.weight' in wide.transfer.loaded_names
    assert 'neck.cells.1.gate_conv.weight' not in wide.transfer.loaded_names


def test_untrained_source_names_the_command(tmp_path):
    config, _, _ = write_source(tmp_path)
    student = MODELS.build(student_cfg(dict(type='Finetune', config=config)))
    with pytest.raises(FileNotFoundError) as info:
        student.init_weights()
    assert f'python tools/train.py {config}' in str(info.value)


def test_l2sp_penalties_by_hand(tmp_path):
    _, checkpoint, _ = write_source(tmp_path)
    student = MODELS.build(student_cfg(
        dict(type='L2SP', checkpoint=checkpoint, alpha=0.2, beta=0.05,
             exclude=[r'^head\.'])))
    student.init_weights()
    losses = student.transfer.losses(student, [])
    assert losses['loss_l2sp_start'].item() == 0.0  # at the start point
    head = student.head.weight  # new (excluded): plain L2
    expected_new = 0.5 * 0.05 * head.square().sum()
    torch.testing.assert_close(losses['loss_l2sp_new'], expected_new)
    with torch.no_grad():
        student.neck.cells[0].gate_conv.weight.add_(0.1)
    losses = student.transfer.losses(student, [])
    n = student.neck.cells[0].gate_conv.weight.numel()
    assert losses['loss_l2sp_start'].item() == pytest.approx(
        0.5 * 0.2 * n * 0.01, rel=1e-4)
    # biases are not penalised by default, the start point is not saved
    assert not any('start_point' in k for k in student.state_dict())
    losses['loss_l2sp_start'].backward()
    assert student.neck.cells[0].gate_conv.weight.grad is not None
    assert student.neck.cells[0].gate_conv.bias.grad is None


def test_finetune_through_the_runner_loads_before_training(tmp_path):
    """Runner.train() initialises weights, so the source is loaded."""
    from stpredict.testing import train_briefly
    config, checkpoint, source = write_source(tmp_path)
    runner = train_briefly(
        'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py',
        str(tmp_path / 'work'), iterations=1,
        cfg_options={
            'model.neck.hidden_channels': 4,
            'model.neck.num_layers': 2,
            'model.neck.cell.kernel_size': 3,
            'model.transfer': dict(type='Finetune', checkpoint=checkpoint,
                                   include=[r'^neck\.cells\.1\.']),
        })
    assert runner.model.transfer.loaded_names
    assert all(n.startswith('neck.cells.1.')
               for n in runner.model.transfer.loaded_names)
