"""Averages, per-frame curves and the copy-last baseline of frame metrics."""
import numpy as np
import pytest
import torch

from stpredict.evaluation import MAE, MSE, PSNR, SSIM, BaseFrameMetric


def constant_sequence(values, shape=(1, 2, 2)) -> torch.Tensor:
    """[T, C, H, W] frames, frame t filled with values[t]."""
    return torch.stack(
        [torch.full(shape, value, dtype=torch.float32) for value in values])


def sample(pred, gt, inputs=None, sample_idx=0) -> dict:
    data_sample = dict(pred_frames=pred, gt_frames=gt, sample_idx=sample_idx)
    if inputs is not None:
        data_sample['input_frames'] = inputs
    return data_sample


def run_metric(metric: BaseFrameMetric, data_samples) -> dict:
    metric.process(None, data_samples)
    return metric.evaluate(len(data_samples))


class TestPerFrameCurves:
    """Errors that grow with t: offsets 0.1 (t+1) and 0.05 (t+1) on 2x2."""

    def setup_method(self):
        gt = constant_sequence([0.2] * 4)
        self.samples = [
            sample(gt + 0.1 * torch.arange(1, 5).view(4, 1, 1, 1), gt,
                   sample_idx=0),
            sample(gt + 0.05 * torch.arange(1, 5).view(4, 1, 1, 1), gt,
                   sample_idx=1),
        ]
        steps = np.arange(1, 5)
        self.offsets = np.stack([0.1 * steps, 0.05 * steps])  # [N, T]

    def check(self, metrics: dict, key: str, per_sample: np.ndarray):
        expected_curve = per_sample.mean(axis=0)
        assert list(metrics) == [key, f'{key}_curve']
        curve = metrics[f'{key}_curve']
        assert isinstance(curve, list) and len(curve) == 4
        assert all(isinstance(value, float) for value in curve)
        np.testing.assert_allclose(curve, expected_curve, rtol=1e-5)
        assert isinstance(metrics[key], float)
        assert metrics[key] == pytest.approx(np.mean(curve), rel=1e-12)
        assert metrics[key] == pytest.approx(per_sample.mean(), rel=1e-5)

    def test_mse(self):
        # per pixel: mean of offset^2 -> [0.00625, 0.025, 0.05625, 0.1]
        metrics = run_metric(MSE(reduction='pixel_mean'), self.samples)
        self.check(metrics, 'mse_per_pixel', self.offsets**2)
        np.testing.assert_allclose(
            metrics['mse_per_pixel_curve'], [0.00625, 0.025, 0.05625, 0.1],
            rtol=1e-5)
        assert np.all(np.diff(metrics['mse_per_pixel_curve']) > 0)
        # per frame: sum over the 4 pixels -> 4x
        metrics = run_metric(MSE(), self.samples)
        self.check(metrics, 'mse_per_frame', 4 * self.offsets**2)
        np.testing.assert_allclose(
            metrics['mse_per_frame_curve'], [0.025, 0.1, 0.225, 0.4],
            rtol=1e-5)

    def test_mae(self):
        metrics = run_metric(MAE(reduction='pixel_mean'), self.samples)
        self.check(metrics, 'mae_per_pixel', self.offsets)
        np.testing.assert_allclose(
            metrics['mae_per_pixel_curve'], [0.075, 0.15, 0.225, 0.3],
            rtol=1e-5)
        metrics = run_metric(MAE(), self.samples)
        self.check(metrics, 'mae_per_frame', 4 * self.offsets)

    def test_psnr_averages_per_frame_values(self):
        metrics = run_metric(PSNR(), self.samples)
        # PSNR of a constant offset d: 10 log10(1 / d^2) = -20 log10(d).
        self.check(metrics, 'psnr', -20 * np.log10(self.offsets))
        assert np.all(np.diff(metrics['psnr_curve']) < 0)

    def test_ssim(self):
        metrics = run_metric(SSIM(window_size=1), self.samples)
        # A 1x1 window: every pixel is its own constant patch.
        c1 = 0.01**2
        mu_y = 0.2
        mu_x = mu_y + self.offsets
        per_sample = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
        self.check(metrics, 'ssim', per_sample)
        assert np.all(np.diff(metrics['ssim_curve']) < 0)

    def test_both_reductions(self):
        metrics = run_metric(
            MSE(reduction=('frame_sum', 'pixel_mean')), self.samples)
        assert list(metrics) == [
            'mse_per_frame', 'mse_per_frame_curve', 'mse_per_pixel',
            'mse_per_pixel_curve'
        ]
        assert metrics['mse_per_frame'] == pytest.approx(
            4 * metrics['mse_per_pixel'])
        metrics = run_metric(
            MAE(reduction=['pixel_mean', 'frame_sum']), self.samples)
        assert list(metrics) == [
            'mae_per_pixel', 'mae_per_pixel_curve', 'mae_per_frame',
            'mae_per_frame_curve'
        ]


class TestCopyLastBaseline:
    """Inputs 0.0 then 0.5; gt 0.6, 0.7, 0.9; the model is perfect."""

    def setup_method(self):
        inputs = constant_sequence([0.0, 0.5])
        gt = constant_sequence([0.6, 0.7, 0.9])
        self.samples = [sample(gt.clone(), gt, inputs)]

    def test_mse_and_mae(self):
        metrics = run_metric(
            MSE(reduction=('pixel_mean', 'frame_sum'), baseline='copy_last'),
            self.samples)
        assert set(metrics) == {
            'mse_per_pixel', 'mse_per_pixel_curve', 'mse_per_frame',
            'mse_per_frame_curve', 'mse_per_pixel_copy_last',
            'mse_per_pixel_copy_last_curve', 'mse_per_frame_copy_last',
            'mse_per_frame_copy_last_curve'
        }
        assert metrics['mse_per_pixel'] == 0.0
        assert metrics['mse_per_frame_curve'] == [0.0, 0.0, 0.0]
        # The last observed frame is 0.5 (not the first, 0.0).
        np.testing.assert_allclose(
            metrics['mse_per_pixel_copy_last_curve'], [0.01, 0.04, 0.16],
            rtol=1e-5)
        assert metrics['mse_per_pixel_copy_last'] == pytest.approx(
            0.07, rel=1e-5)
        np.testing.assert_allclose(
            metrics['mse_per_frame_copy_last_curve'], [0.04, 0.16, 0.64],
            rtol=1e-5)
        metrics = run_metric(MAE(baseline='copy_last'), self.samples)
        np.testing.assert_allclose(
            metrics['mae_per_frame_copy_last_curve'], [0.4, 0.8, 1.6],
            rtol=1e-5)
        assert metrics['mae_per_frame_copy_last'] == pytest.approx(
            2.8 / 3, rel=1e-5)

    def test_psnr_and_ssim(self):
        metrics = run_metric(PSNR(baseline='copy_last'), self.samples)
        assert metrics['psnr_curve'] == pytest.approx([100.0] * 3)
        np.testing.assert_allclose(
            metrics['psnr_copy_last_curve'],
            -20 * np.log10([0.1, 0.2, 0.4]),
            rtol=1e-5)
        metrics = run_metric(
            SSIM(window_size=1, baseline='copy_last'), self.samples)
        assert metrics['ssim'] == pytest.approx(1.0, abs=1e-6)
        c1 = 0.01**2
        gt = np.array([0.6, 0.7, 0.9])
        expected = (2 * 0.5 * gt + c1) / (0.25 + gt**2 + c1)
        np.testing.assert_allclose(
            metrics['ssim_copy_last_curve'], expected, rtol=1e-5)

    def test_needs_input_frames(self):
        metric = MSE(baseline='copy_last')
        data_sample = dict(self.samples[0])
        del data_sample['input_frames']
        with pytest.raises(ValueError, match='input_frames'):
            metric.process(None, [data_sample])

    def test_input_frames_of_another_size(self):
        metric = MSE(baseline='copy_last')
        data_sample = dict(self.samples[0])
        data_sample['input_frames'] = torch.zeros(2, 1, 3, 3)
        with pytest.raises(ValueError, match='copy_last'):
            metric.process(None, [data_sample])


class TestResultsAndErrors:

    def test_results_hold_small_float64_arrays_per_sequence(self):
        metric = SSIM(baseline='copy_last')
        frames = torch.rand(2, 5, 3, 16, 16)
        metric.process(None, [
            sample(frames[i], frames[i].flip(-1), frames[i][:2], i)
            for i in range(2)
        ])
        assert len(metric.results) == 2
        for result in metric.results:
            assert set(result['values']) == {'ssim', 'ssim_copy_last'}
            for values in result['values'].values():
                assert isinstance(values, np.ndarray)
                assert values.dtype == np.float64 and values.shape == (5, )

    def test_evaluate_drops_padded_samples(self):
        # One result per sequence: mmengine drops the samples past `size`
        # that a distributed sampler added as padding.
        gt = constant_sequence([0.5, 0.5])
        metric = MSE(reduction='pixel_mean')
        metric.process(None, [
            sample(gt + 0.1, gt, sample_idx=0),
            sample(gt + 0.3, gt, sample_idx=1)
        ])
        metrics = metric.evaluate(1)
        assert metrics['mse_per_pixel'] == pytest.approx(0.01, rel=1e-5)
        assert metric.results == []

    def test_missing_gt(self):
        data_sample = dict(pred_frames=torch.rand(2, 1, 16, 16), sample_idx=7)
        for metric in (MSE(), MAE(), PSNR(), SSIM()):
            with pytest.raises(ValueError,
                               match='sample 7.*cannot be scored'):
                metric.process(None, [data_sample])

    def test_different_t_out_in_one_evaluation(self):
        metric = MSE()
        metric.process(None, [
            sample(torch.rand(3, 1, 4, 4), torch.rand(3, 1, 4, 4), None, 0),
            sample(torch.rand(5, 1, 4, 4), torch.rand(5, 1, 4, 4), None, 1),
        ])
        with pytest.raises(ValueError, match='T_out=3.*T_out=5'):
            metric.evaluate(2)

    def test_shape_mismatch(self):
        with pytest.raises(
                ValueError, match=r'\(3, 1, 4, 4\).*\(2, 1, 4, 4\)'):
            MSE().process(None, [
                sample(torch.rand(3, 1, 4, 4), torch.rand(2, 1, 4, 4))
            ])

    def test_frames_must_be_sequences(self):
        with pytest.raises(ValueError, match=r'\[T, C, H, W\]'):
            MSE().process(None, [
                sample(torch.rand(1, 4, 4), torch.rand(1, 4, 4))
            ])

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match='baseline'):
            MSE(baseline='copy_first')
        with pytest.raises(ValueError, match='reduction'):
            MAE(reduction='sum')
        with pytest.raises(ValueError, match='reduction'):
            MSE(reduction=())
        with pytest.raises(ValueError, match='odd'):
            SSIM(window_size=8)
        with pytest.raises(ValueError, match='data_range'):
            PSNR(data_range=0)

    def test_prefix(self):
        gt = constant_sequence([0.5])
        metric = PSNR(prefix='val')
        metric.process(None, [sample(gt + 0.1, gt)])
        metrics = metric.evaluate(1)
        assert set(metrics) == {'val/psnr', 'val/psnr_curve'}
        assert metrics['val/psnr'] == pytest.approx(20.0, abs=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_frames_on_gpu_match_cpu():
    frames = torch.rand(6, 3, 16, 16)
    gt = torch.rand(6, 3, 16, 16)
    for metric_type in (MSE, MAE, PSNR, SSIM):
        on_cpu = run_metric(metric_type(), [sample(frames, gt, frames)])
        on_gpu = run_metric(metric_type(),
                            [sample(frames.cuda(), gt.cuda(), frames.cuda())])
        assert list(on_gpu) == list(on_cpu)
        for key, value in on_cpu.items():
            np.testing.assert_allclose(on_gpu[key], value, rtol=1e-9)
