"""Naive baseline forecasts and the evaluator that scores them like the
model (hand-worked numbers on constant frames)."""
import builtins
import os.path as osp

import numpy as np
import pytest
import torch

from stpredict.evaluation import (MSE, SSIM, BaselineEvaluator,
                                  CopyLastForecast, OpticalFlowForecast,
                                  TrainMeanForecast, ZerosForecast,
                                  baseline_key, build_baseline_forecast,
                                  mean_training_frame, spread_indices)
from stpredict.utils import register_all_modules

register_all_modules(init_default_scope=False)


def constant(value, frames, shape=(1, 4, 4)):
    return torch.full((frames, *shape), value, dtype=torch.float32)


def sample(index, inputs, gt, pred=None):
    return dict(sample_idx=index, input_frames=inputs, gt_frames=gt,
                pred_frames=gt.clone() if pred is None else pred)


def test_copy_last_and_zeros():
    inputs = torch.arange(3, dtype=torch.float32).view(3, 1, 1, 1) / 4
    copy_last = CopyLastForecast().forecast(inputs, 5)
    assert copy_last.shape == (5, 1, 1, 1)
    assert torch.all(copy_last == 0.5)
    zeros = ZerosForecast().forecast(inputs, 2)
    assert zeros.shape == (2, 1, 1, 1) and not zeros.any()


class ListDataset(list):
    """Items like PackSequenceInputs' outputs."""


def test_mean_training_frame_hand_worked():
    # window 0: frames 0 and 51 (uint8), window 1: frames 102 and 153
    dataset = ListDataset(
        dict(inputs=torch.full((2, 1, 2, 2), 0, dtype=torch.uint8)
             + torch.tensor([0, 51], dtype=torch.uint8).view(2, 1, 1, 1)
             + 102 * k) for k in range(2))
    mean = mean_training_frame(dataset, value_scale=255.0)
    np.testing.assert_allclose(mean, np.full((1, 2, 2), 76.5 / 255),
                               rtol=1e-6)
    # float frames are taken as they are
    floats = ListDataset([dict(inputs=torch.full((1, 1, 1, 1), 0.25))])
    assert mean_training_frame(floats)[0, 0, 0] == pytest.approx(0.25)
    np.testing.assert_array_equal(spread_indices(10, 3), [0, 4, 9])
    np.testing.assert_array_equal(spread_indices(2, 5), [0, 1])


def flying_digits(num_sequences=3):
    return dict(type='FlyingDigits', split='train', num_digits=1,
                num_sequences=num_sequences, input_frames=2,
                output_frames=2, image_size=16, digit_size=8,
                pipeline=[dict(type='PackSequenceInputs')])


def test_train_mean_is_cached_and_read_back(tmp_path, monkeypatch):
    first = TrainMeanForecast(dataset=flying_digits(), cache_dir=tmp_path)
    forecast = first.forecast(torch.zeros(2, 1, 16, 16), 3)
    assert forecast.shape == (3, 1, 16, 16)
    assert osp.isfile(first.cache_file) and 0 < forecast.mean() < 1
    from stpredict.registry import DATASETS

    def no_build(cfg):
        raise AssertionError('the cached mean should be read back')

    monkeypatch.setattr(DATASETS, 'build', no_build)
    second = TrainMeanForecast(dataset=flying_digits(), cache_dir=tmp_path)
    torch.testing.assert_close(second.forecast(torch.zeros(2, 1, 16, 16),
                                               3), forecast)
    # another dataset config, another cache file
    other = TrainMeanForecast(dataset=flying_digits(4), cache_dir=tmp_path)
    assert other.cache_file != first.cache_file
    with pytest.raises(ValueError, match='same frame size'):
        second.forecast(torch.zeros(2, 1, 8, 8), 1)


def test_train_mean_needs_data():
    with pytest.raises(ValueError, match='train_dataloader.dataset'):
        TrainMeanForecast()
    broken = TrainMeanForecast(dataset=dict(type='FlyingDigits',
                                            split='nowhere'))
    with pytest.raises(RuntimeError, match='--baselines copy_last zeros'):
        broken.prepare()


def test_build_baseline_forecast():
    assert isinstance(build_baseline_forecast('zeros'), ZerosForecast)
    flow = build_baseline_forecast(dict(type='OpticalFlowForecast',
                                        num_frames=4))
    assert flow.num_frames == 4
    with pytest.raises(ValueError, match="choose among"):
        build_baseline_forecast('persistence')


def test_optical_flow_without_pysteps_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_pysteps(name, *args, **kwargs):
        if name.startswith('pysteps'):
            raise ImportError(f'No module named {name!r}')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_pysteps)
    with pytest.raises(ImportError, match=r"\.\[nowcasting\]"):
        OpticalFlowForecast().prepare()


def test_optical_flow_follows_a_moving_blob():
    pytest.importorskip('pysteps')
    yy, xx = torch.meshgrid(torch.arange(48.), torch.arange(48.),
                            indexing='ij')
    # a blob moving 1 px down and 2 px right per frame
    frames = torch.stack([
        torch.exp(-((yy - 14 - t)**2 + (xx - 10 - 2 * t)**2) / 20)
        for t in range(8)
    ]).unsqueeze(1)
    observed, future = frames[:4], frames[4:]
    flow = OpticalFlowForecast().forecast(observed, 4)
    assert flow.shape == future.shape and flow.dtype == frames.dtype
    flow_error = (flow - future).square().sum()
    copy_error = (observed[-1:] - future).square().sum()
    assert flow_error < 0.01 * copy_error


def test_baseline_key():
    assert baseline_key('mse_per_frame', 'zeros') == 'mse_per_frame_zeros'
    assert baseline_key('ssim_curve', 'train_mean') == \
        'ssim_train_mean_curve'
    assert baseline_key('mse_per_frame_per_sequence', 'zeros') == \
        'mse_per_frame_zeros_per_sequence'


def test_evaluator_scores_baselines_like_the_model():
    # observed frames end at 0.25, truth is 0.5 everywhere (4x4 = 16 px):
    # copy_last errs by 0.25 (MSE 16 * 0.0625 = 1), zeros by 0.5 (16 * 0.25)
    evaluator = BaselineEvaluator(
        [dict(type='MSE', baseline='copy_last'),
         dict(type='SSIM', window_size=3)],
        baselines=['copy_last', 'zeros'])
    assert evaluator.baseline_names == ['copy_last', 'zeros']
    samples = [sample(i, constant(0.25, 2), constant(0.5, 3)) for i in
               range(2)]
    evaluator.process(samples)
    results = evaluator.evaluate(2)
    assert results['mse_per_frame'] == 0
    assert results['mse_per_frame_copy_last'] == pytest.approx(1.0)
    assert results['mse_per_frame_zeros'] == pytest.approx(4.0)
    assert results['mse_per_frame_zeros_curve'] == pytest.approx([4.0] * 3)
    assert 'ssim_zeros' in results and 'ssim_copy_last_curve' in results


def test_evaluator_copy_last_equals_the_metrics_own_baseline():
    generator = torch.Generator().manual_seed(0)
    samples = [
        sample(i, torch.rand(3, 1, 12, 12, generator=generator),
               torch.rand(4, 1, 12, 12, generator=generator),
               torch.rand(4, 1, 12, 12, generator=generator))
        for i in range(3)
    ]
    own = [MSE(baseline='copy_last'), SSIM(baseline='copy_last')]
    for metric in own:
        metric.process(None, samples)
    expected = {}
    for metric in own:
        expected.update(metric.evaluate(3))
    evaluator = BaselineEvaluator(
        [MSE(baseline='copy_last'), SSIM(baseline='copy_last')],
        baselines=['copy_last'])
    evaluator.process(samples)
    results = evaluator.evaluate(3)
    assert sorted(results) == sorted(expected)
    for key, value in expected.items():
        assert results[key] == pytest.approx(value, rel=1e-12), key


def test_evaluator_errors():
    with pytest.raises(ValueError, match='once'):
        BaselineEvaluator([dict(type='MSE')], baselines=['zeros', 'zeros'])
    evaluator = BaselineEvaluator([dict(type='MSE')], baselines=['zeros'])
    bad = dict(sample_idx=7, gt_frames=constant(0.5, 2),
               pred_frames=constant(0.5, 2))
    with pytest.raises(ValueError, match='sample 7 has none'):
        evaluator.process([bad])
