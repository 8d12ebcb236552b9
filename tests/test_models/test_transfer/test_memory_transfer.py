import pytest
import torch
from mmengine.config import Config
from transfer_fixtures import student_cfg, write_source

from stpredict.apis import export_target
from stpredict.engine.hooks import gate_table
from stpredict.registry import MODELS
from stpredict.utils.checkpoint import safe_torch_load

TMU = dict(num_sources=2, peephole=True)


def sources(tmp_path, **kwargs):
    out = []
    for index in range(2):
        config, checkpoint, _ = write_source(tmp_path, f'src{index}',
                                             seed=index, **kwargs)
        out.append(dict(config=config, checkpoint=checkpoint,
                        name=f'src{index}'))
    return out


def build_tmu(tmp_path, beta=0.1, **kwargs):
    torch.manual_seed(0)
    transfer = dict(type='MemoryTransfer', sources=sources(tmp_path),
                    beta=beta, **kwargs)
    return MODELS.build(student_cfg(transfer, cell='TMUCell', cell_args=TMU))


def frames_batch(model, batch=2, seed=0):
    torch.manual_seed(seed)
    raw = torch.randint(0, 256, (batch, 4, 1, 8, 8), dtype=torch.uint8)
    return model.data_preprocessor(dict(inputs=list(raw)))['inputs']


def test_distillation_enters_the_loss_and_teachers_stay_frozen(tmp_path):
    model = build_tmu(tmp_path, beta=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    aux_seen = []
    original = model.transfer.losses

    def spy(student, aux_per_step):
        aux_seen.append(aux_per_step)
        return original(student, aux_per_step)

    model.transfer.losses = spy
    losses = model(frames_batch(model), mode='loss')
    assert losses['loss_distill'] > 0
    # beta = 0.5 weighs Eq. 4 (mean over steps of the sum over TMU layers)
    raw = sum(layer['loss_distill'] for step in aux_seen[0]
              for layer in step) / len(aux_seen[0])
    torch.testing.assert_close(losses['loss_distill'], 0.5 * raw)
    assert set(k for k in losses if k.startswith('gate_')) == {
        'gate_l0_src0', 'gate_l0_src1', 'gate_l1_src0', 'gate_l1_src1'}
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    optimizer.step()
    teacher_params = [p for s in model.transfer.sources
                      for p in s.model.parameters()]
    assert teacher_params and all(p.grad is None for p in teacher_params)
    in_optimizer = {id(p) for g in optimizer.param_groups for p in g['params']}
    assert not any(id(p) in in_optimizer for p in teacher_params)
    assert not any(id(p) in optimizer.state for p in teacher_params)
    assert set(model.state_dict()) == set(
        MODELS.build(student_cfg(None, cell='TMUCell',
                                 cell_args=TMU)).state_dict())
    # distillers learn from the distillation loss
    distiller = model.neck.cells[0].distiller
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in distiller.parameters())


def test_banks_are_the_teachers_lockstep_memories(tmp_path):
    model = build_tmu(tmp_path)
    frames = frames_batch(model)
    masks = model.draw_sampling_masks(2, frames)
    seen = []
    original = model.neck.forward

    def spy(x, state, layer_context=None):
        seen.append(layer_context)
        return original(x, state, layer_context)

    model.neck.forward = spy
    with torch.no_grad():
        model.unroll(frames, 3, masks, training=True)
    # the same teacher run alone, as a plain predictor
    teacher = model.transfer.sources[1].model
    states = None
    pred = None
    teacher_frames = model.transfer.sources[1].adapt(model, frames)
    with torch.no_grad():
        for step in range(3):
            x = model.step_input(step, teacher_frames, pred, masks)
            pred, states, _ = teacher.forward_step(x, states)
            for layer in range(2):
                torch.testing.assert_close(
                    seen[step][layer].bank[1],
                    states['layers'][layer]['c'])


def test_no_teacher_at_test_time(tmp_path):
    model = build_tmu(tmp_path).eval()
    model.transfer.sources[0].config = str(tmp_path / 'gone.py')
    with torch.no_grad():
        out = model(frames_batch(model), mode='predict')
    assert out[0].pred_frames.shape == (2, 1, 8, 8)
    assert model.transfer.sources[0].loaded is False


def test_set_up_checks(tmp_path):
    config, checkpoint, _ = write_source(tmp_path, 'wide', hidden=6)
    model = MODELS.build(student_cfg(
        dict(type='MemoryTransfer',
             sources=[dict(config=config, checkpoint=checkpoint,
                           name='wide')] * 2),
        cell='TMUCell', cell_args=TMU))
    with pytest.raises(ValueError) as info:
        model(frames_batch(model), mode='loss')
    message = str(info.value)
    assert 'target layer 0' in message and '(4, 4, 4)' in message
    assert '(6, 4, 4)' in message and 'wide' in message
    with pytest.raises(ValueError, match='num_sources=1'):
        MODELS.build(student_cfg(
            dict(type='MemoryTransfer',
                 sources=[dict(config=config, checkpoint=checkpoint)]),
            cell='TMUCell', cell_args=TMU))
    with pytest.raises(ValueError, match='memory-bank cells'):
        MODELS.build(student_cfg(
            dict(type='MemoryTransfer',
                 sources=[dict(config=config, checkpoint=checkpoint)])))


def test_untrained_source_is_reported_with_its_command(tmp_path):
    config, _, _ = write_source(tmp_path, 'fresh')
    model = MODELS.build(student_cfg(
        dict(type='MemoryTransfer', sources=[dict(config=config)] * 2),
        cell='TMUCell', cell_args=TMU))
    with pytest.raises(FileNotFoundError) as info:
        model(frames_batch(model), mode='loss')
    assert f'python tools/train.py {config}' in str(info.value)


def test_exported_target_predicts_exactly_as_the_trained_one(tmp_path):
    model = build_tmu(tmp_path)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    frames = frames_batch(model)
    for _ in range(2):
        losses = model(frames, mode='loss')
        optimizer.zero_grad()
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optimizer.step()
    cfg = Config(dict(model=student_cfg(
        dict(type='MemoryTransfer', sources=sources(tmp_path)),
        cell='TMUCell', cell_args=TMU)))
    config = tmp_path / 'target.py'
    cfg.dump(str(config))
    checkpoint = tmp_path / 'target.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    ckpt, exported_cfg = export_target(str(config), str(checkpoint),
                                       str(tmp_path / 'out'))
    exported_model_cfg = Config.fromfile(exported_cfg).model
    assert 'transfer' not in exported_model_cfg
    exported = MODELS.build(exported_model_cfg)
    exported.load_state_dict(safe_torch_load(ckpt)['state_dict'])
    model.eval()
    exported.eval()
    with torch.no_grad():
        a = model(frames, mode='predict')
        b = exported(frames, mode='predict')
    for x, y in zip(a, b):
        assert torch.equal(x.pred_frames, y.pred_frames)


def test_gate_table():
    table = gate_table({'gate_l0_kth': 0.25, 'gate_l0_weizmann': 0.5,
                        'gate_l1_kth': 0.125})
    assert table.splitlines()[0] == 'layer | kth | weizmann'
    assert table.splitlines()[1] == '    0 | 0.2500 | 0.5000'
    assert table.splitlines()[2].startswith('    1 | 0.1250 | nan')


def test_memory_transfer_through_the_runner(tmp_path):
    from stpredict.testing import train_briefly
    srcs = sources(tmp_path, patch=4, hidden=8, frames=10)
    work_dir = tmp_path / 'work'
    runner = train_briefly(
        'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py',
        str(work_dir), iterations=2,
        cfg_options={
            'model.neck.hidden_channels': 8,
            'model.neck.cell': dict(type='TMUCell', kernel_size=3,
                                    num_sources=2),
            'model.transfer': dict(type='MemoryTransfer', sources=srcs),
            'custom_hooks': [dict(type='TransferGateHook', interval=1)],
        })
    checkpoint = safe_torch_load(str(work_dir / 'iter_2.pth'))
    keys = set(checkpoint['state_dict'])
    assert keys == set(runner.model.state_dict())
    # one 2-layer 8-channel TMU student: no teacher weights were saved
    assert not any(k.startswith('transfer.') for k in keys)
    logs = checkpoint['message_hub']['log_scalars']
    assert 'train/loss_distill' in logs and 'train/gate_l1_src0' in logs
    log_file = next(work_dir.rglob('*.log')).read_text()
    assert 'transfer gates, whole run' in log_file


def load_tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        name, f'tools/analysis_tools/{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_transfer_gates_tool_averages_the_gates_of_every_step(tmp_path):
    tool = load_tool('transfer_gates')
    model = build_tmu(tmp_path).eval()
    raw = torch.randint(0, 256, (2, 4, 1, 8, 8), dtype=torch.uint8)
    loader = [dict(inputs=list(raw))]
    means = tool.average_gates(model, loader)
    frames = model.data_preprocessor(loader[0])['inputs']
    with torch.no_grad():
        _, aux = model.unroll(frames[:, :2], 3)
    expected = torch.stack([step[1]['transfer_gates'] for step in aux])
    assert means[(1, 0)] == pytest.approx(expected[:, 0].mean().item())
    assert set(means) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert all(0 < value < 1 for value in means.values())


def test_memory_transfer_in_the_multi_scale_pyramid(tmp_path):
    """Teachers in the same pyramid give each layer memories at its scale."""
    pyramid = ", scales=[1, 2], skip='none'"
    srcs = []
    for index in range(2):
        config, checkpoint, _ = write_source(tmp_path, f'pyr{index}',
                                             seed=index)
        text = open(config).read().replace(
            "type='SingleScaleStack'", "type='MultiScalePyramid'").replace(
                'hidden_channels=4)', f'hidden_channels=4{pyramid})')
        open(config, 'w').write(text)
        srcs.append(dict(config=config, checkpoint=checkpoint))
    cfg = student_cfg(dict(type='MemoryTransfer', sources=srcs),
                      cell='MemoryTransferWrapper',
                      cell_args=dict(cell=dict(type='SpatioTemporalLSTMCell',
                                               kernel_size=3)))
    cfg['neck'].update(type='MultiScalePyramid', scales=[1, 2], skip='none')
    cfg['neck']['cell'].pop('kernel_size')
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    seen = []
    original = model.neck.forward

    def spy(x, state, layer_context=None):
        seen.append(layer_context)
        return original(x, state, layer_context)

    model.neck.forward = spy
    losses = model(frames_batch(model), mode='loss')
    assert losses['loss_distill'] > 0
    # layer 0 at 4x4 (8x8 frames, patch 2), layer 1 at half of it
    assert seen[0][0].bank[0].shape[-1] == 4
    assert seen[0][1].bank[0].shape[-1] == 2


def test_beta_is_the_one_distillation_weight(tmp_path):
    """beta weights loss_distill; aux_loss_weights may not say otherwise."""
    torch.manual_seed(0)
    transfer = dict(type='MemoryTransfer', sources=sources(tmp_path),
                    beta=0.5)
    cfg = student_cfg(transfer, cell='TMUCell', cell_args=TMU)
    same = MODELS.build(dict(cfg, aux_loss_weights=dict(loss_distill=0.5)))
    assert same.transfer.beta == 0.5
    with pytest.raises(ValueError) as error:
        MODELS.build(dict(cfg, aux_loss_weights=dict(loss_distill=0.1)))
    message = str(error.value)
    assert 'aux_loss_weights.loss_distill=0.1' in message
    assert 'model.transfer.beta' in message and '0.5' in message
    # the predictor does not weigh the transfer's term a second time
    model = build_tmu(tmp_path, beta=0.5)
    aux = [[dict(loss_distill=torch.tensor(2.0)),
            dict(loss_distill=torch.tensor(4.0))]]
    assert model.aux_losses(aux) == {}
    assert model.transfer.losses(model, aux)['loss_distill'].item() == 3.0
