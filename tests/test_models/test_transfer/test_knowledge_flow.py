import pytest
import torch
from transfer_fixtures import set_progress, student_cfg, write_source

from stpredict.models.transfer.source_models import LockstepTeachers
from stpredict.registry import MODELS


@pytest.fixture(autouse=True)
def reset_progress():
    set_progress(0, 0)
    yield
    set_progress(0, 0)


def build_kf(tmp_path, **kwargs):
    sources = []
    for index in range(2):
        config, checkpoint, _ = write_source(tmp_path, f'src{index}',
                                             seed=index)
        sources.append(dict(config=config, checkpoint=checkpoint))
    torch.manual_seed(0)
    transfer = dict(type='KnowledgeFlow', sources=sources, **kwargs)
    return MODELS.build(student_cfg(transfer))


def frames_batch(model, seed=0):
    torch.manual_seed(seed)
    raw = torch.randint(0, 256, (2, 4, 1, 8, 8), dtype=torch.uint8)
    return model.data_preprocessor(dict(inputs=list(raw)))['inputs']


def test_teachers_stay_out_of_optimizer_checkpoint_and_grads(tmp_path):
    model = build_kf(tmp_path)
    names = [n for n, _ in model.named_parameters()]
    # only the student and the flow's own transforms/shares are trained
    assert all(n.startswith(('neck.', 'head.', 'transfer.transforms',
                             'transfer.weight_logits')) for n in names)
    assert not any('source' in k for k in model.state_dict())
    losses = model(frames_batch(model), mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    for source in model.transfer.sources:
        assert all(p.grad is None and not p.requires_grad
                   for p in source.model.parameters())
    assert model.transfer.transforms['0'][0].weight.grad is not None
    assert model.transfer.weight_logits.grad is not None
    # the teachers' total weight per layer starts at initial_share (0.5),
    # times the curriculum factor of the first iteration (1 outside a run)
    assert losses['kf_teacher_share'].item() == pytest.approx(0.5)


def test_layer_weights_are_normalised_softmax_times_curriculum(tmp_path):
    model = build_kf(tmp_path, initial_share=0.3)
    weights = model.transfer.layer_weights()
    # student 0.7, each of the two teachers 0.15; rows sum to 1
    torch.testing.assert_close(
        weights, torch.tensor([[0.7, 0.15, 0.15]] * 2))
    set_progress(49, 200)  # iteration 50 of 200 -> progress 0.25
    model.transfer.update_progress()
    assert model.transfer.curriculum_factor() == pytest.approx(0.5)
    torch.testing.assert_close(
        model.transfer.layer_weights(),
        torch.tensor([[0.85, 0.075, 0.075]] * 2))


def test_flow_adds_the_weighted_transformed_teacher_features(tmp_path):
    model = build_kf(tmp_path, initial_share=0.25)
    frames = frames_batch(model)
    # student weight 0.75, each teacher 0.125 (outside a run: factor 1)
    with torch.no_grad():
        preds, _ = model.unroll(frames, 3, training=False)
        # the same first step by hand
        teachers = LockstepTeachers(model, model.transfer.sources, frames,
                                    None)
        states = teachers.advance(0)
        feature = model.stem(frames[:, 0])
        context = []
        for layer in range(2):
            residual = sum(
                0.125 * model.transfer.transforms[str(layer)][m](
                    states[m]['layers'][layer]['h']) for m in range(2))
            context.append(dict(output_scale=0.75, output_residual=residual))
        state = model.neck.init_state(feature)
        out, _, _ = model.neck(feature, state, context)
        torch.testing.assert_close(preds[:, 0], model.head(out))


def test_curriculum_ends_with_a_student_that_runs_alone(tmp_path):
    model = build_kf(tmp_path, curriculum_end=0.5)
    frames = frames_batch(model)
    set_progress(24, 100)  # the 25th iteration of 100
    model.transfer.update_progress()
    assert model.transfer.curriculum_factor() == pytest.approx(0.5)
    set_progress(49, 100)  # the 50th: progress 0.5, the curriculum's end
    assert model.transfer.begin(model, frames, None, True) is None
    assert model.transfer.curriculum_factor() == 0.0
    assert model(frames, mode='loss')['loss_kf_dependency'].item() == 0.0
    # the progress is saved: a reloaded model (e.g. at test time, when no
    # iteration runs) still predicts without teachers
    set_progress(0, 0)
    reloaded = build_kf(tmp_path, curriculum_end=0.5)
    reloaded.load_state_dict(model.state_dict())
    assert reloaded.transfer.begin(reloaded, frames, None, False) is None
    # the student alone (what the exporter keeps) predicts the same
    alone = MODELS.build(student_cfg(None))
    state = {k: v for k, v in model.state_dict().items()
             if not k.startswith('transfer.')}
    alone.load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(model(frames, mode='tensor'),
                                   alone(frames, mode='tensor'))


def test_teachers_share_the_masks_and_feed_on_their_own_predictions(
        tmp_path):
    model = build_kf(tmp_path)
    frames = frames_batch(model)
    source = model.transfer.sources[0]
    source.load(frames.device)
    seen = []
    original = source.model.forward_step

    def spy(x, state, layer_context=None):
        seen.append(x.clone())
        return original(x, state, layer_context)

    source.model.forward_step = spy
    mask = torch.tensor([[1.0], [0.0]]).view(2, 1, 1, 1, 1)
    masks = model.draw_sampling_masks(2, frames)._replace(output=mask)
    teachers = LockstepTeachers(model, [source], frames, masks)
    preds = []
    for step in range(3):
        teachers.advance(step)
        preds.append(teachers.preds[0])
    adapted = source.adapt(model, frames)
    torch.testing.assert_close(seen[1], adapted[:, 1])  # observed frame
    # step 2 (first future step): sample 0 reads the truth, sample 1 its
    # own previous prediction, exactly like the student
    torch.testing.assert_close(seen[2][0], adapted[0, 2])
    torch.testing.assert_close(seen[2][1], preds[1][1])


def test_mismatched_feature_maps_are_refused_at_set_up(tmp_path):
    model = build_kf(tmp_path)
    raw = torch.randint(0, 256, (1, 4, 1, 8, 8), dtype=torch.uint8)
    frames = model.data_preprocessor(dict(inputs=list(raw)))['inputs']
    model.transfer.sources[0].adapter.size = (16, 16)
    with pytest.raises(ValueError, match='Knowledge flow: target layer 0'):
        model(frames, mode='loss')


def test_curriculum_is_over_in_the_final_checkpoint_and_export(tmp_path):
    """curriculum_end=1: the last iteration runs without teachers, the saved
    model has teacher weight 0 and exports with a forecast difference 0."""
    import subprocess
    import sys
    from pathlib import Path

    from mmengine.config import Config

    from stpredict.testing import train_briefly
    from stpredict.utils.checkpoint import safe_torch_load
    root = Path(__file__).resolve().parents[3]
    options = {}
    for index, name in enumerate(['1digit', '2digits']):
        config = root / ('configs/convlstm/convlstm_2x32_flying'
                         f'{name}-10to10_cpu.py')
        torch.manual_seed(index)
        source = MODELS.build(Config.fromfile(str(config)).model)
        checkpoint = tmp_path / f'{name}.pth'
        torch.save(dict(state_dict=source.state_dict()), checkpoint)
        options[f'model.transfer.sources.{index}.checkpoint'] = str(
            checkpoint)
    options['model.transfer.curriculum_end'] = 1.0
    config = str(root / 'configs/tmu/'
                 'kf_convlstm_2x32_flying3digits-10to10_cpu.py')
    runner = train_briefly(config, str(tmp_path / 'run'), iterations=3,
                           cfg_options=options)
    transfer = runner.model.transfer
    assert float(transfer.progress) == 1.0
    assert transfer.curriculum_factor() == 0.0
    assert torch.all(transfer.teacher_shares() == 0)
    assert not transfer.needed_at_test
    final = tmp_path / 'run' / 'iter_3.pth'
    state = safe_torch_load(str(final), map_location='cpu')['state_dict']
    assert float(state['transfer.progress']) == 1.0
    # the exported student forecasts exactly like the trained model
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    full_config = tmp_path / 'kf.py'
    cfg.dump(str(full_config))
    result = subprocess.run(
        [sys.executable, 'tools/model_converters/export_target.py',
         str(full_config), str(final), str(tmp_path / 'exported')],
        cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'trained vs exported: 0\n' in result.stdout
