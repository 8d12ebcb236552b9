"""Properties of the frame metrics (functions and metric objects) on random
frames: zero error for identical inputs, symmetry, ranges, the link between
the reductions, and batch-split invariance of ``process``/``compute_metrics``.
"""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from stpredict.evaluation.functional import (PSNR_MAX_DB, contingency_counts,
                                             contingency_scores, frame_mae,
                                             frame_mse, frame_psnr, frame_ssim)
from stpredict.evaluation.metrics import (MAE, MSE, PSNR, SSIM,
                                          ContingencyScores)

SETTINGS = settings(max_examples=25, deadline=None)
PIXEL_TO_DBZ = dict(type='linear', scale=70.0, offset=-10.0, quantity='dbz')


@st.composite
def frame_pairs(draw, min_side=1):
    """Two random frame tensors ``[*lead, C, H, W]`` of one shape, in
    ``[0, 1]``; ``gt`` is sometimes a copy of ``pred``."""
    lead = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    shape = (*lead, draw(st.integers(1, 3)), draw(st.integers(min_side, 16)),
             draw(st.integers(min_side, 16)))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    pred = torch.rand(shape, generator=generator, dtype=dtype)
    if draw(st.booleans()):
        # few distinct levels, so thresholds and ties are exercised
        pred = (pred * 4).round() / 4
    gt = torch.rand(shape, generator=generator, dtype=dtype)
    if draw(st.booleans()):
        gt = (gt * 4).round() / 4
    return pred, gt


@SETTINGS
@given(frame_pairs(), st.sampled_from([frame_mse, frame_mae]))
def test_errors_zero_nonnegative_symmetric(pair, error_fn):
    pred, gt = pair
    assert torch.all(error_fn(pred, pred) == 0)
    errors = error_fn(pred, gt)
    assert errors.shape == pred.shape[:-3]
    assert torch.all(errors >= 0)
    torch.testing.assert_close(errors, error_fn(gt, pred))


@SETTINGS
@given(frame_pairs(), st.sampled_from([frame_mse, frame_mae]))
def test_frame_sum_is_pixel_mean_times_pixels(pair, error_fn):
    pred, gt = pair
    pixels = pred.shape[-3] * pred.shape[-2] * pred.shape[-1]
    torch.testing.assert_close(
        error_fn(pred, gt, reduction='frame_sum'),
        error_fn(pred, gt, reduction='pixel_mean') * pixels)


@SETTINGS
@given(frame_pairs())
def test_mse_is_at_most_mae_for_values_in_unit_range(pair):
    pred, gt = pair
    # |d| <= 1 so d**2 <= |d|
    mse = frame_mse(pred, gt, reduction='pixel_mean')
    mae = frame_mae(pred, gt, reduction='pixel_mean')
    assert torch.all(mse <= mae + 1e-6)


@SETTINGS
@given(frame_pairs(), st.sampled_from([1.0, 255.0]))
def test_psnr_capped_and_matches_its_formula(pair, data_range):
    pred, gt = pair
    pred, gt = pred * data_range, gt * data_range
    assert torch.allclose(frame_psnr(pred, pred, data_range),
                          torch.tensor(PSNR_MAX_DB, dtype=pred.dtype))
    psnr = frame_psnr(pred, gt, data_range)
    assert torch.all(psnr <= PSNR_MAX_DB + 1e-4)
    torch.testing.assert_close(psnr, frame_psnr(gt, pred, data_range))
    mse = frame_mse(pred, gt, reduction='pixel_mean').double()
    normalized = (mse / data_range**2).clamp(min=1e-10)
    torch.testing.assert_close(psnr.double(), -10 * torch.log10(normalized),
                               rtol=1e-4, atol=1e-3)


@SETTINGS
@given(frame_pairs(min_side=5), st.sampled_from([3, 5]))
def test_ssim_range_and_identity(pair, window_size):
    pred, gt = pair
    same = frame_ssim(pred, pred, window_size=window_size)
    torch.testing.assert_close(same, torch.ones_like(same), rtol=0,
                               atol=1e-5)
    ssim = frame_ssim(pred, gt, window_size=window_size)
    assert ssim.shape == pred.shape[:-3]
    assert torch.all(ssim >= -1 - 1e-6) and torch.all(ssim <= 1 + 1e-6)
    torch.testing.assert_close(ssim, frame_ssim(gt, pred,
                                                window_size=window_size))


@SETTINGS
@given(frame_pairs(), st.lists(st.floats(0.05, 0.95), min_size=1,
                               max_size=3))
def test_contingency_counts_and_score_ranges(pair, thresholds):
    pred, gt = pair
    counts = contingency_counts(pred, gt, thresholds)
    pixels = pred.shape[-3] * pred.shape[-2] * pred.shape[-1]
    assert counts.shape == (*pred.shape[:-3], len(thresholds), 4)
    assert torch.all(counts >= 0)
    assert torch.all(counts.sum(dim=-1) == pixels)
    scores = contingency_scores(counts)
    for name in ('csi', 'pod', 'far'):
        assert torch.all((scores[name] >= 0) & (scores[name] <= 1)), name
    assert torch.all((scores['hss'] >= -1 - 1e-12)
                     & (scores['hss'] <= 1 + 1e-12))
    assert not any(torch.isnan(value).any() for value in scores.values())
    perfect = contingency_scores(contingency_counts(gt, gt, thresholds))
    for name, best in (('csi', 1.0), ('hss', 1.0), ('pod', 1.0),
                       ('far', 0.0)):
        assert torch.all(perfect[name] == best), name


def _samples(pred: torch.Tensor, gt: torch.Tensor):
    """Data samples of ``N`` sequences from ``[N, T, C, H, W]`` tensors."""
    return [
        dict(sample_idx=i, pred_frames=pred[i], gt_frames=gt[i],
             input_frames=gt[i, :1])
        for i in range(pred.shape[0])
    ]


def _evaluate(metric, samples, cuts):
    """Run ``process`` on the batches between ``cuts``, then compute."""
    metric.results.clear()
    bounds = [0, *sorted(cuts), len(samples)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        metric.process(None, samples[start:stop])
    return metric.compute_metrics(metric.results)


def _assert_same_metrics(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for key, value in first.items():
        np.testing.assert_allclose(second[key], value, rtol=1e-9,
                                   atol=1e-12, err_msg=key)


METRICS = {
    'mse': lambda: MSE(reduction=('frame_sum', 'pixel_mean'),
                       baseline='copy_last'),
    'mae': lambda: MAE(reduction=('frame_sum', 'pixel_mean')),
    'psnr': lambda: PSNR(),
    'ssim': lambda: SSIM(window_size=3),
    'contingency': lambda: ContingencyScores(
        thresholds=(10, 30), pixel_to_value=PIXEL_TO_DBZ,
        baseline='copy_last'),
}


@st.composite
def sequence_batches(draw):
    num = draw(st.integers(1, 6))
    shape = (num, draw(st.integers(1, 4)), draw(st.integers(1, 2)),
             draw(st.integers(3, 8)), draw(st.integers(3, 8)))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    pred = torch.rand(shape, generator=generator)
    gt = torch.rand(shape, generator=generator)
    cuts = draw(st.lists(st.integers(0, num), max_size=3))
    return pred, gt, cuts


@settings(max_examples=15, deadline=None)
@given(sequence_batches(), st.sampled_from(sorted(METRICS)))
def test_metrics_do_not_depend_on_the_batch_split(batch, name):
    pred, gt, cuts = batch
    metric = METRICS[name]()
    samples = _samples(pred, gt)
    whole = _evaluate(metric, samples, [])
    _assert_same_metrics(whole, _evaluate(metric, samples, cuts))
    # a sequence's own values do not depend on its neighbours either
    reversed_order = _evaluate(metric, samples[::-1], cuts)
    _assert_same_metrics(whole, reversed_order)


@settings(max_examples=15, deadline=None)
@given(sequence_batches())
def test_metric_objects_of_identical_frames(batch):
    pred, _, _ = batch
    samples = _samples(pred, pred)
    mse = _evaluate(METRICS['mse'](), samples, [])
    assert mse['mse_per_frame'] == 0 and mse['mse_per_pixel'] == 0
    assert _evaluate(PSNR(), samples, [])['psnr'] == pytest.approx(
        PSNR_MAX_DB)
    assert _evaluate(SSIM(window_size=3), samples,
                     [])['ssim'] == pytest.approx(1.0, abs=1e-9)
    scores = _evaluate(METRICS['contingency'](), samples, [])
    for label in ('10dbz', '30dbz'):
        assert scores[f'csi_{label}'] == 1.0
        assert scores[f'hss_{label}'] == 1.0
        assert scores[f'far_{label}'] == 0.0


@SETTINGS
@given(st.lists(st.integers(1, 5), min_size=3, max_size=5),
       st.lists(st.integers(1, 5), min_size=3, max_size=5))
def test_wrong_shapes_raise_clear_errors(shape_a, shape_b):
    pred, gt = torch.rand(shape_a), torch.rand(shape_b)
    for fn in (frame_mse, frame_mae, frame_psnr):
        if tuple(shape_a) == tuple(shape_b):
            assert fn(pred, gt).shape == pred.shape[:-3]
            continue
        with pytest.raises(ValueError, match='same shape') as info:
            fn(pred, gt)
        assert str(tuple(shape_a)) in str(info.value)
    if len(shape_a) != 4 and len(shape_a) == len(shape_b):
        metric = MSE()
        with pytest.raises(ValueError, match=r'\[T, C, H, W\]'):
            metric.process(None, [dict(sample_idx=0, pred_frames=pred,
                                       gt_frames=pred)])
    if len(shape_a) == len(shape_b) == 4 and shape_a != shape_b:
        with pytest.raises(ValueError, match='same shape'):
            MSE().process(None, [dict(sample_idx=0, pred_frames=pred,
                                      gt_frames=gt)])


def test_integer_frames_and_too_few_dims_are_refused():
    frames = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    with pytest.raises(TypeError, match='floating point'):
        frame_mse(frames, frames)
    with pytest.raises(ValueError, match='three dimensions'):
        frame_mse(torch.zeros(4, 4), torch.zeros(4, 4))
    with pytest.raises(ValueError, match='window'):
        frame_ssim(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4))


@SETTINGS
@given(frame_pairs())
def test_nan_frames_are_not_hidden(pair):
    """The metrics do not claim to reject NaN, but a NaN must show in the
    error (never be silently counted as a perfect frame)."""
    pred, gt = pair
    pred = pred.clone()
    pred.reshape(-1)[0] = math.nan
    first = (0, ) * (pred.dim() - 3)
    assert torch.isnan(frame_mse(pred, gt)[first])
    assert torch.isnan(frame_mae(pred, gt)[first])
    assert torch.isnan(frame_psnr(pred, gt)[first])
