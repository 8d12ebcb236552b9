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


def test_finetune_tmu_student_from_convlstm_fills_the_fused_gates(tmp_path):
    """A ConvLSTM source's i, f, g, o fill the first rows of the TMU's
    fused gate convolution; the transfer gates' rows stay fresh."""
    _, checkpoint, source = write_source(tmp_path)
    torch.manual_seed(5)
    student = MODELS.build(student_cfg(
        dict(type='Finetune', checkpoint=checkpoint), cell='TMUCell',
        cell_args=dict(num_sources=2, peephole=False)))
    cell = student.neck.cells[0]
    fresh_gates = cell.gate_conv.weight[16:].detach().clone()
    student.init_weights()
    loaded = student.transfer.loaded_names + student.transfer.partial_names
    assert 'neck.cells.0.gate_conv.weight' in loaded
    assert 'neck.cells.1.gate_conv.bias' in loaded
    assert 'head.weight' in loaded
    hidden = 4
    torch.testing.assert_close(cell.gate_conv.weight[:4 * hidden],
                               source.neck.cells[0].gate_conv.weight)
    torch.testing.assert_close(cell.gate_conv.bias[:4 * hidden],
                               source.neck.cells[0].gate_conv.bias)
    torch.testing.assert_close(cell.gate_conv.weight[4 * hidden:],
                               fresh_gates)
    # the transfer-gate bias keeps its initialisation
    assert torch.all(cell.gate_conv.bias[4 * hidden:] == 3.0)


def test_finetune_reports_what_it_loaded(tmp_path):
    from mmengine.logging import MMLogger
    _, checkpoint, _ = write_source(tmp_path)
    student = MODELS.build(student_cfg(
        dict(type='Finetune', checkpoint=checkpoint), cell='TMUCell',
        cell_args=dict(num_sources=2, peephole=False)))
    logger = MMLogger.get_current_instance()
    messages = []
    handler = type('H', (__import__('logging').Handler, ), {
        'emit': lambda self, record: messages.append(record.getMessage())
    })()
    logger.addHandler(handler)
    try:
        student.init_weights()
    finally:
        logger.removeHandler(handler)
    text = '\n'.join(messages)
    assert 'partially' in text and 'neck.cells.0.gate_conv.weight' in text
    assert 'sha256' in text and checkpoint in text
    assert 'not in the source' in text  # the distillers


def test_finetune_that_loads_only_the_head_is_an_error(tmp_path):
    _, checkpoint, _ = write_source(tmp_path)
    cfg = student_cfg(
        dict(type='Finetune', checkpoint=checkpoint),
        neck=dict(type='SingleScaleStack',
                  cell=dict(type='ConvLSTMCell', kernel_size=5),
                  num_layers=2, hidden_channels=4))
    # 3x3 source, 5x5 student: only the head and the gate biases fit
    with pytest.raises(ValueError, match='no weight of the recurrent'):
        MODELS.build(cfg).init_weights()
    cfg['transfer']['allow_partial'] = True
    student = MODELS.build(cfg)
    student.init_weights()
    assert 'head.weight' in student.transfer.loaded_names
    assert 'neck.cells.0.gate_conv.weight' not in student.transfer.loaded_names


def test_l2sp_weights_scale_with_a_frame_sum_loss(tmp_path):
    """alpha and beta are stated per pixel; a per-frame-sum loss (C*H*W = 64
    elements per 8x8 frame) multiplies them by 64."""
    _, checkpoint, _ = write_source(tmp_path)
    student = MODELS.build(student_cfg(
        dict(type='L2SP', checkpoint=checkpoint, alpha=0.2, beta=0.05,
             exclude=[r'^head\.']),
        loss=dict(type='FrameLoss', error='l2', reduction='frame_sum')))
    student.init_weights()
    raw = torch.randint(0, 256, (2, 4, 1, 8, 8), dtype=torch.uint8)
    frames = student.data_preprocessor(dict(inputs=list(raw)))['inputs']
    losses = student(frames, mode='loss')
    assert losses['l2sp_scale'].item() == 64.0
    expected_new = 0.5 * 0.05 * 64 * student.head.weight.square().sum()
    torch.testing.assert_close(losses['loss_l2sp_new'], expected_new)
    per_pixel = MODELS.build(student_cfg(
        dict(type='L2SP', checkpoint=checkpoint),
        loss=dict(type='FrameLoss', error='l2', reduction='pixel_mean')))
    per_pixel.init_weights()
    assert per_pixel(frames, mode='loss')['l2sp_scale'].item() == 1.0
