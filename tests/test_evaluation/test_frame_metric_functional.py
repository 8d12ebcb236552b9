"""Numbers of the pure torch frame metric functions."""
import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from stpredict.evaluation.functional import (PSNR_MAX_DB, frame_mae, frame_mse,
                                             frame_psnr, frame_ssim,
                                             gaussian_window_1d)


def constant_frames(value: float, shape=(1, 16, 16)) -> torch.Tensor:
    return torch.full(shape, value, dtype=torch.float64)


def structured_image(height: int, width: int, shift: float) -> np.ndarray:
    """A smooth pattern with edges: gradient, sinusoid and a square."""
    rows, cols = np.meshgrid(
        np.arange(height), np.arange(width), indexing='ij')
    image = 0.3 * cols / width + 0.3 * (
        1 + np.sin(2 * np.pi * (rows + shift) / 9.0)) / 2
    image[height // 4:height // 2, width // 3:width // 2] += 0.35
    return np.clip(image, 0.0, 1.0)


def skimage_ssim(pred: np.ndarray, gt: np.ndarray, sigma: float = 1.5,
                 data_range: float = 1.0) -> float:
    """SSIM of one [C, H, W] frame, computed independently by skimage."""
    return structural_similarity(
        pred,
        gt,
        data_range=data_range,
        gaussian_weights=True,
        sigma=sigma,
        use_sample_covariance=False,
        channel_axis=0)


class TestIdenticalFrames:

    def test_all_metrics_at_their_best(self):
        frames = torch.rand(5, 3, 16, 20, dtype=torch.float64)
        for reduction in ('frame_sum', 'pixel_mean'):
            assert torch.equal(
                frame_mse(frames, frames.clone(), reduction),
                torch.zeros(5, dtype=torch.float64))
            assert torch.equal(
                frame_mae(frames, frames.clone(), reduction),
                torch.zeros(5, dtype=torch.float64))
        torch.testing.assert_close(
            frame_ssim(frames, frames.clone()),
            torch.ones(5, dtype=torch.float64),
            rtol=0,
            atol=1e-6)
        psnr = frame_psnr(frames, frames.clone())
        assert PSNR_MAX_DB == pytest.approx(100.0)
        torch.testing.assert_close(
            psnr, torch.full((5, ), 100.0, dtype=torch.float64))

    def test_psnr_cap_does_not_depend_on_data_range(self):
        frames = torch.rand(2, 1, 8, 8) * 255
        torch.testing.assert_close(
            frame_psnr(frames, frames, data_range=255.0),
            torch.full((2, ), 100.0))


class TestConstantOffset:
    """gt = 0.25 everywhere, pred = gt + 0.1, one 16x16 channel."""

    def setup_method(self):
        self.gt = constant_frames(0.25)
        self.pred = constant_frames(0.35)

    def test_mse_and_mae(self):
        assert frame_mse(self.pred, self.gt, 'pixel_mean').item() == \
            pytest.approx(0.01, abs=1e-12)
        assert frame_mse(self.pred, self.gt, 'frame_sum').item() == \
            pytest.approx(2.56, abs=1e-10)
        assert frame_mae(self.pred, self.gt, 'pixel_mean').item() == \
            pytest.approx(0.1, abs=1e-12)
        assert frame_mae(self.pred, self.gt, 'frame_sum').item() == \
            pytest.approx(25.6, abs=1e-10)

    def test_psnr_is_20_db(self):
        assert frame_psnr(self.pred, self.gt).item() == pytest.approx(
            20.0, abs=1e-9)

    def test_ssim_by_hand(self):
        # Constant frames: variances and covariance are 0, so the contrast-
        # structure term is C2 / C2 = 1 and only the luminance term is left.
        c1 = 0.01**2
        mu_x, mu_y = 0.35, 0.25
        expected = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
        assert expected == pytest.approx(0.1751 / 0.1851, abs=1e-15)
        assert frame_ssim(self.pred, self.gt).item() == pytest.approx(
            expected, abs=1e-9)
        # data_range=2 (the wrong range for [0, 1] frames) gives a different
        # number: C1 = (0.01 * 2)**2.
        c1_wrong = 0.02**2
        wrong = (2 * mu_x * mu_y + c1_wrong) / (
            mu_x**2 + mu_y**2 + c1_wrong)
        assert frame_ssim(
            self.pred, self.gt, data_range=2.0).item() == pytest.approx(
                wrong, abs=1e-9)
        assert abs(wrong - expected) > 5e-5

    def test_float32_inputs(self):
        pred, gt = self.pred.float(), self.gt.float()
        assert frame_mse(pred, gt).dtype == torch.float32
        assert frame_psnr(pred, gt).item() == pytest.approx(20.0, abs=1e-4)
        assert frame_ssim(pred, gt).item() == pytest.approx(
            0.1751 / 0.1851, abs=1e-6)


def test_mse_mae_hand_worked_2x2():
    pred = torch.tensor([[[[0.1, 0.2], [0.3, 0.4]]]], dtype=torch.float64)
    gt = torch.tensor([[[[0.0, 0.4], [0.3, 1.0]]]], dtype=torch.float64)
    # errors: 0.1, -0.2, 0.0, -0.6
    # squared: 0.01 + 0.04 + 0 + 0.36 = 0.41; absolute: 0.9
    torch.testing.assert_close(
        frame_mse(pred, gt, 'frame_sum'),
        torch.tensor([0.41], dtype=torch.float64))
    torch.testing.assert_close(
        frame_mse(pred, gt, 'pixel_mean'),
        torch.tensor([0.1025], dtype=torch.float64))
    torch.testing.assert_close(
        frame_mae(pred, gt, 'frame_sum'),
        torch.tensor([0.9], dtype=torch.float64))
    torch.testing.assert_close(
        frame_mae(pred, gt, 'pixel_mean'),
        torch.tensor([0.225], dtype=torch.float64))
    # Default reduction is the per-frame sum.
    torch.testing.assert_close(frame_mse(pred, gt), frame_mse(
        pred, gt, 'frame_sum'))


def test_one_value_per_frame_for_any_leading_shape():
    pred = torch.rand(2, 3, 4, 1, 12, 12)
    gt = torch.rand(2, 3, 4, 1, 12, 12)
    for function in (frame_mse, frame_mae, frame_psnr, frame_ssim):
        values = function(pred, gt)
        assert values.shape == (2, 3, 4)
        torch.testing.assert_close(values[1, 2], function(pred[1, 2],
                                                          gt[1, 2]))


def test_psnr_matches_numpy_formula():
    rng = np.random.default_rng(0)
    gt = rng.random((6, 3, 10, 14))
    pred = np.clip(gt + rng.normal(0, 0.05, gt.shape), 0, 1)
    mse = ((pred - gt)**2).reshape(6, -1).mean(axis=1)
    expected = 10 * np.log10(1.0 / mse)
    np.testing.assert_allclose(
        frame_psnr(torch.from_numpy(pred), torch.from_numpy(gt)).numpy(),
        expected,
        rtol=0,
        atol=1e-10)
    # The same frames in [0, 255] with data_range=255 give the same PSNR.
    np.testing.assert_allclose(
        frame_psnr(
            torch.from_numpy(pred * 255),
            torch.from_numpy(gt * 255),
            data_range=255.0).numpy(),
        expected,
        rtol=0,
        atol=1e-9)


class TestSSIMAgainstSkimage:

    def test_random_frames(self):
        rng = np.random.default_rng(1)
        gt = rng.random((4, 3, 32, 27))
        pred = np.clip(gt + rng.normal(0, 0.1, gt.shape), 0, 1)
        values = frame_ssim(torch.from_numpy(pred), torch.from_numpy(gt))
        expected = [skimage_ssim(pred[t], gt[t]) for t in range(4)]
        np.testing.assert_allclose(values.numpy(), expected, atol=1e-5)

    def test_unrelated_random_frames(self):
        rng = np.random.default_rng(2)
        gt = rng.random((3, 1, 20, 20))
        pred = rng.random((3, 1, 20, 20))
        values = frame_ssim(torch.from_numpy(pred), torch.from_numpy(gt))
        expected = [skimage_ssim(pred[t], gt[t]) for t in range(3)]
        np.testing.assert_allclose(values.numpy(), expected, atol=1e-5)

    def test_structured_frames(self):
        gt = np.stack([structured_image(40, 33, 0.0)[None]] * 2)
        pred = np.stack([
            structured_image(40, 33, 1.5)[None],
            0.8 * structured_image(40, 33, 0.0)[None] + 0.1
        ])
        values = frame_ssim(torch.from_numpy(pred), torch.from_numpy(gt))
        expected = [skimage_ssim(pred[t], gt[t]) for t in range(2)]
        np.testing.assert_allclose(values.numpy(), expected, atol=1e-5)
        assert 0.0 < values.min() < values.max() < 1.0

    def test_float32_frames(self):
        rng = np.random.default_rng(3)
        gt = rng.random((2, 2, 24, 24)).astype(np.float32)
        pred = np.clip(gt + rng.normal(0, 0.05, gt.shape), 0,
                       1).astype(np.float32)
        values = frame_ssim(torch.from_numpy(pred), torch.from_numpy(gt))
        expected = [
            skimage_ssim(pred[t].astype(np.float64), gt[t].astype(np.float64))
            for t in range(2)
        ]
        np.testing.assert_allclose(values.numpy(), expected, atol=1e-5)

    def test_other_window_and_data_range(self):
        # skimage's Gaussian window has 2 * int(3.5 * sigma + 0.5) + 1 taps:
        # 9 for sigma = 1.
        rng = np.random.default_rng(4)
        gt = rng.random((2, 1, 16, 18)) * 255
        pred = np.clip(gt + rng.normal(0, 20, gt.shape), 0, 255)
        values = frame_ssim(
            torch.from_numpy(pred),
            torch.from_numpy(gt),
            data_range=255.0,
            window_size=9,
            sigma=1.0)
        expected = [
            skimage_ssim(pred[t], gt[t], sigma=1.0, data_range=255.0)
            for t in range(2)
        ]
        np.testing.assert_allclose(values.numpy(), expected, atol=1e-5)


def test_gaussian_window():
    window = gaussian_window_1d(11, 1.5, dtype=torch.float64)
    offsets = np.arange(-5, 6)
    expected = np.exp(-offsets**2 / (2 * 1.5**2))
    np.testing.assert_allclose(
        window.numpy(), expected / expected.sum(), rtol=1e-14)
    assert window.sum().item() == pytest.approx(1.0, abs=1e-15)


class TestInvalidInputs:

    def test_shape_mismatch_names_both_shapes(self):
        pred = torch.rand(4, 1, 16, 16)
        gt = torch.rand(4, 1, 16, 15)
        for function in (frame_mse, frame_mae, frame_psnr, frame_ssim):
            with pytest.raises(ValueError, match=r'\(4, 1, 16, 16\).*'
                               r'\(4, 1, 16, 15\)'):
                function(pred, gt)

    def test_too_few_dimensions(self):
        with pytest.raises(ValueError, match='at least three dimensions'):
            frame_mse(torch.rand(16, 16), torch.rand(16, 16))

    def test_integer_frames(self):
        frames = torch.zeros(2, 1, 16, 16, dtype=torch.uint8)
        with pytest.raises(TypeError, match='floating point'):
            frame_psnr(frames, frames)

    def test_frames_smaller_than_window(self):
        frames = torch.rand(2, 1, 10, 32)
        with pytest.raises(ValueError, match='11x11 window.*10x32'):
            frame_ssim(frames, frames)
        # A smaller window fits.
        assert frame_ssim(frames, frames, window_size=7).shape == (2, )

    def test_bad_arguments(self):
        frames = torch.rand(1, 1, 16, 16)
        with pytest.raises(ValueError, match='reduction'):
            frame_mse(frames, frames, reduction='mean')
        with pytest.raises(ValueError, match='odd'):
            frame_ssim(frames, frames, window_size=10)
        with pytest.raises(ValueError, match='sigma'):
            frame_ssim(frames, frames, sigma=0.0)
        with pytest.raises(ValueError, match='data_range'):
            frame_psnr(frames, frames, data_range=0.0)
        with pytest.raises(ValueError, match='data_range'):
            frame_ssim(frames, frames, data_range=-1.0)
