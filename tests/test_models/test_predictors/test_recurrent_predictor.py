import pytest
import torch

from stpredict.models.predictors import RecurrentPredictor, SamplingMasks
from stpredict.registry import MODELS
from stpredict.structures import SequenceDataSample


def build(patch_size=2, t_in=3, t_out=2, **kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='RecurrentPredictor',
        input_frames=t_in,
        output_frames=t_out,
        neck=dict(type='SingleScaleStack',
                  cell=dict(type='ConvLSTMCell', kernel_size=3),
                  num_layers=2, hidden_channels=6),
        data_preprocessor=dict(type='SequenceDataPreprocessor',
                               patch_size=patch_size))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(model, frames_uint8):
    return model.data_preprocessor(dict(inputs=list(frames_uint8)))


def test_predict_never_reads_future_frames():
    model = build().eval()
    frames = torch.randint(0, 256, (2, 5, 1, 8, 8), dtype=torch.uint8)
    other_future = frames.clone()
    other_future[:, 3:] = 255 - other_future[:, 3:]
    with torch.no_grad():
        a = model(**batch(model, frames), mode='predict')
        b = model(**batch(model, other_future), mode='predict')
        # forecasting from the observed frames alone
        c = model(**batch(model, frames[:, :3]), mode='predict')
    for sa, sb, sc in zip(a, b, c):
        torch.testing.assert_close(sa.pred_frames, sb.pred_frames)
        torch.testing.assert_close(sa.pred_frames, sc.pred_frames)
        assert sa.pred_frames.shape == (2, 1, 8, 8)  # un-patched T_out
        assert sa.input_frames.shape == (3, 1, 8, 8)
        assert sa.gt_frames.shape == (2, 1, 8, 8)
        assert sc.get_gt_frames() is None
        assert 0 <= sa.pred_frames.min() and sa.pred_frames.max() <= 1
    torch.testing.assert_close(a[0].gt_frames, frames[0, 3:].float() / 255)


def test_loss_covers_every_next_frame_prediction():
    model = build(patch_size=1)
    data = batch(model, torch.randint(0, 256, (2, 5, 1, 8, 8),
                                      dtype=torch.uint8))
    frames = data['inputs']
    torch.manual_seed(1)
    losses = model(**data, mode='loss')
    # recompute: eta=0, so steps >= T_in read the model's own predictions
    torch.manual_seed(1)
    masks = model.draw_sampling_masks(2, frames)
    assert masks.output.sum() == 0 and masks.input is None
    preds, _ = model.unroll(frames, 4, masks)
    expected = (preds - frames[:, 1:]).square().sum(dim=(2, 3, 4)).mean()
    torch.testing.assert_close(losses['loss_frame'], expected)
    losses['loss_frame'].backward()
    assert all(p.grad is not None for p in model.parameters())


def test_step_inputs_follow_the_masks():
    model = build(patch_size=1, t_in=3, t_out=3)
    frames = torch.arange(6.0).view(1, 6, 1, 1, 1).expand(2, 6, 1, 2, 2)
    pred = torch.full((2, 1, 2, 2), -1.0)
    # without masks: observed frames, then own predictions
    assert model.step_input(0, frames, None, None).unique().item() == 0
    assert model.step_input(2, frames, pred, None).unique().item() == 2
    assert model.step_input(3, frames, pred, None).unique().item() == -1
    out_mask = torch.tensor([[1.0, 0.0], [0.0, 1.0]]).view(2, 2, 1, 1, 1)
    in_mask = torch.tensor([[0.0, 1.0], [1.0, 1.0]]).view(2, 2, 1, 1, 1)
    masks = SamplingMasks(input=in_mask, output=out_mask)
    # step 3 (first future step): sample 0 reads the truth, 1 its prediction
    x3 = model.step_input(3, frames, pred, masks)
    assert x3[0].unique().item() == 3 and x3[1].unique().item() == -1
    x4 = model.step_input(4, frames, pred, masks)
    assert x4[0].unique().item() == -1 and x4[1].unique().item() == 4
    # reverse sampling: observed step 1 of sample 0 reads the prediction
    x1 = model.step_input(1, frames, pred, masks)
    assert x1[0].unique().item() == -1 and x1[1].unique().item() == 1


def test_masks_follow_eta_per_sample_and_step():
    model = build(t_in=4, t_out=50)
    ref = torch.zeros(1, dtype=torch.float64)
    model.sampling_eta = 1.0
    masks = model.draw_sampling_masks(3, ref)
    assert masks.output.shape == (3, 49, 1, 1, 1)
    assert masks.output.dtype == torch.float64
    assert masks.output.min() == 1 and masks.input is None
    model.sampling_eta = 0.5
    model.reverse_sampling_eta = 0.5
    torch.manual_seed(0)
    masks = model.draw_sampling_masks(64, ref)
    assert 0.4 < masks.output.mean() < 0.6
    assert masks.input.shape == (64, 3, 1, 1, 1)
    # masks differ between samples
    assert not torch.equal(masks.output[0], masks.output[1])


def test_teacher_forcing_with_eta_one_uses_true_frames():
    model = build(patch_size=1, t_in=2, t_out=3)
    model.sampling_eta = 1.0
    data = batch(model, torch.randint(0, 256, (1, 5, 1, 8, 8),
                                      dtype=torch.uint8))
    frames = data['inputs']
    losses = model(**data, mode='loss')
    # with teacher forcing, the loss equals one-step-ahead prediction on the
    # true frames: the same as unrolling with all-ones masks
    masks = SamplingMasks(input=None, output=torch.ones(1, 2, 1, 1, 1))
    preds, _ = model.unroll(frames, 4, masks)
    expected = (preds - frames[:, 1:]).square().sum(dim=(2, 3, 4)).mean()
    torch.testing.assert_close(losses['loss_frame'], expected)


def test_tensor_mode_and_stem():
    model = build(stem=dict(type='Conv2d', out_channels=5, kernel_size=1))
    assert model.neck.in_channels == 5
    data = batch(model, torch.zeros(2, 5, 1, 8, 8, dtype=torch.uint8))
    out = model(data['inputs'], mode='tensor')
    assert out.shape == (2, 4, 4, 4, 4)


def test_aux_losses_are_weighted_and_averaged():
    model = build(aux_loss_weights=dict(loss_decouple=0.5))
    aux = [[dict(loss_decouple=torch.tensor(1.0)),
            dict(loss_decouple=torch.tensor(3.0), other=torch.tensor(9.))],
           [dict(loss_decouple=torch.tensor(2.0)), dict()]]
    losses = model.aux_losses(aux)
    assert set(losses) == {'loss_decouple'}
    assert losses['loss_decouple'].item() == pytest.approx(0.5 * 6 / 2)


def test_clear_errors():
    model = build()
    with pytest.raises(ValueError, match='T_in=3'):
        model(torch.zeros(1, 2, 4, 4, 4), mode='predict')
    with pytest.raises(ValueError, match='Training needs'):
        model(torch.zeros(1, 4, 4, 4, 4), mode='loss')
    with pytest.raises(ValueError, match='in_channels'):
        model(torch.zeros(1, 5, 12, 4, 4), mode='loss')
    with pytest.raises(ValueError, match='input_frames must be'):
        build(t_in=0)
    with pytest.raises(ValueError, match='not divisible'):
        model.data_preprocessor(
            dict(inputs=[torch.zeros(5, 1, 7, 8, dtype=torch.uint8)]))


def test_predict_keeps_data_sample_meta():
    model = build().eval()
    samples = [SequenceDataSample(metainfo=dict(sample_idx=7))]
    data = model.data_preprocessor(
        dict(inputs=[torch.zeros(5, 1, 8, 8, dtype=torch.uint8)],
             data_samples=samples))
    with torch.no_grad():
        out = model(**data, mode='predict')
    assert out[0].sample_idx == 7 and 'pred_frames' in out[0]
    assert isinstance(model, RecurrentPredictor)
