"""Tests of the seed / paired-bootstrap statistics and per-sequence metrics."""
import numpy as np
import pytest
import torch

from stpredict.evaluation.metrics import MSE
from stpredict.utils.statistics import mean_std, paired_bootstrap


def test_mean_std_by_hand():
    mean, std = mean_std([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3)
    # sample std: sqrt(((1-7/3)^2 + (2-7/3)^2 + (4-7/3)^2) / 2)
    assert std == pytest.approx(np.sqrt((16 / 9 + 1 / 9 + 25 / 9) / 2))
    assert mean_std([5.0]) == (5.0, 0.0)


def test_paired_bootstrap_constant_difference_is_exact():
    a = np.arange(20, dtype=float).reshape(2, 10)
    result = paired_bootstrap(a + 3.0, a, num_resamples=500)
    assert result['mean'] == pytest.approx(3.0)
    assert result['low'] == pytest.approx(3.0)
    assert result['high'] == pytest.approx(3.0)
    assert result['p_below_zero'] == 0.0


def test_paired_bootstrap_pairs_sequences():
    rng = np.random.default_rng(0)
    base = rng.normal(100, 30, size=(3, 200))  # large between-sequence spread
    better = base - 1.0 + rng.normal(0, 0.1, size=base.shape)
    result = paired_bootstrap(better, base)
    # paired: the between-sequence spread cancels, the interval is narrow
    assert result['high'] < 0
    assert result['low'] > -1.1
    assert result['mean'] == pytest.approx(-1.0, abs=0.02)


def test_paired_bootstrap_refuses_unpaired():
    with pytest.raises(ValueError, match='same sequences'):
        paired_bootstrap(np.zeros((2, 5)), np.zeros((2, 6)))


def test_metric_reports_per_sequence_means_in_sample_order():
    metric = MSE(reduction='frame_sum', per_sequence=True)
    samples = [
        dict(sample_idx=i, pred_frames=torch.full((2, 1, 4, 4), 0.1 * i),
             gt_frames=torch.zeros(2, 1, 4, 4)) for i in (2, 0, 1)
    ]
    metric.process(None, samples)
    metrics = metric.compute_metrics(metric.results)
    # per-frame sum over 16 pixels of (0.1 i)^2
    assert metrics['mse_per_frame_per_sequence'] == pytest.approx(
        [0.0, 16 * 0.01, 16 * 0.04])
    assert 'mse_per_frame_per_sequence' not in MSE().compute_metrics(
        metric.results)
