"""Nowcasting metrics: pixel conversion, contingency scores, B-MSE / B-MAE."""
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import DefaultScope

from stpredict.evaluation import (BMAE, BMSE, CSI, FAR, HSS, POD,
                                  ContingencyScores, PixelConverter,
                                  balancing_weights, contingency_counts,
                                  contingency_scores, dbz_to_rain_rate,
                                  dbz_to_reflectivity, frame_balanced_mse,
                                  rain_rate_to_dbz, reflectivity_to_dbz)
from stpredict.registry import METRICS
from stpredict.structures import SequenceDataSample

#: HKO-7: dBZ = 70 * p - 10.
HKO_DBZ = dict(type='linear', scale=70.0, offset=-10.0, quantity='dbz')
#: Frames that hold rain rate directly: 1 mm/h per 0.01.
RAIN_PERCENT = dict(type='linear', scale=100.0, quantity='rain_rate')


def dbz_frames(dbz) -> torch.Tensor:
    """HKO-7 frame values [T, C, H, W] (float64) for dBZ values."""
    return (torch.as_tensor(dbz, dtype=torch.float64) + 10.0) / 70.0


def run_metric(metric, pairs) -> dict:
    """Score (pred, gt) frame pairs, one sequence each."""
    metric.process(None, [
        dict(pred_frames=pred, gt_frames=gt, sample_idx=idx)
        for idx, (pred, gt) in enumerate(pairs)
    ])
    return metric.evaluate(len(pairs))


class TestConversion:

    def test_reflectivity(self):
        assert dbz_to_reflectivity(20.0) == pytest.approx(100.0)
        assert reflectivity_to_dbz(1000.0) == pytest.approx(30.0)

    def test_marshall_palmer_by_hand(self):
        # Z = 200 R^1.6: R = 1 mm/h <-> Z = 200 <-> 10 log10(200) dBZ.
        assert dbz_to_rain_rate(10 * math.log10(200)) == pytest.approx(1.0)
        # R = 10 mm/h <-> Z = 200 * 10^1.6 = 7962.14...
        assert dbz_to_rain_rate(10 * math.log10(200 * 10**1.6)) == \
            pytest.approx(10.0)
        # 40 dBZ: Z = 1e4, R = (1e4 / 200)^(1 / 1.6) = 50^0.625 = 11.53 mm/h.
        assert dbz_to_rain_rate(40.0) == pytest.approx(50**0.625)
        assert 50**0.625 == pytest.approx(11.53, abs=0.01)
        assert rain_rate_to_dbz(1.0) == pytest.approx(23.0103, abs=1e-4)
        # Another Z-R relation (HKO-7): Z = 58.53 R^1.56.
        assert dbz_to_rain_rate(
            10 * math.log10(58.53 * 2**1.56), a=58.53,
            b=1.56) == pytest.approx(2.0)

    def test_types_and_round_trip(self):
        dbz = torch.tensor([-10.0, 0.0, 23.0, 55.0], dtype=torch.float64)
        rate = dbz_to_rain_rate(dbz)
        assert isinstance(rate, torch.Tensor) and rate.dtype == torch.float64
        torch.testing.assert_close(rain_rate_to_dbz(rate), dbz)
        array = dbz_to_rain_rate(dbz.numpy())
        assert isinstance(array, np.ndarray)
        np.testing.assert_allclose(array, rate.numpy())
        assert rain_rate_to_dbz(torch.zeros(1)).item() == -math.inf
        assert rain_rate_to_dbz(0.0) == -math.inf
        with pytest.raises(ValueError, match='positive a and b'):
            dbz_to_rain_rate(20.0, a=0.0)

    def test_pixel_converter(self):
        to_dbz = PixelConverter(HKO_DBZ)
        assert (to_dbz.unit, to_dbz.key_suffix) == ('dBZ', 'dbz')
        assert to_dbz(0.5) == pytest.approx(25.0)
        assert to_dbz.to_pixel(25.0) == pytest.approx(0.5)
        to_rate = PixelConverter(HKO_DBZ, value='rain_rate')
        assert (to_rate.unit, to_rate.key_suffix) == ('mm/h', 'mm')
        # 25 dBZ: (10^2.5 / 200)^0.625 = 1.3315 mm/h.
        assert to_rate(0.5) == pytest.approx(1.3315, abs=1e-4)
        pixels = torch.linspace(0, 1, 11, dtype=torch.float64)
        torch.testing.assert_close(to_rate.to_pixel(to_rate(pixels)), pixels)
        # Frames that hold rain rate, thresholds in dBZ.
        rate_to_dbz = PixelConverter(RAIN_PERCENT, value='dbz')
        assert rate_to_dbz(0.3) == pytest.approx(10 *
                                                 math.log10(200 * 30**1.6))
        assert rate_to_dbz.to_pixel(rate_to_dbz(0.3)) == pytest.approx(0.3)
        assert PixelConverter(RAIN_PERCENT, 'rain_rate')(0.3) == \
            pytest.approx(30.0)

    @pytest.mark.parametrize('kwargs,match', [
        (dict(pixel_to_value=[70, -10]), 'must be a dict'),
        (dict(pixel_to_value=dict(type='log', scale=1.0)), 'type must be'),
        (dict(pixel_to_value=dict(type='linear', offset=1.0)), 'scale'),
        (dict(pixel_to_value=dict(type='linear', scale=0)), 'not be 0'),
        (dict(pixel_to_value=dict(HKO_DBZ, quantity='mm')), 'quantity'),
        (dict(pixel_to_value=HKO_DBZ, value='vil'), 'value must be'),
        (dict(pixel_to_value=HKO_DBZ, zr_relation=dict(a=200)), 'zr_relat'),
    ])
    def test_bad_specs(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            PixelConverter(**kwargs)


# 1 frame of 1x2x3 dBZ values, worked out by hand.
GT_DBZ = [[[[0.0, 25.0, 35.0], [45.0, 10.0, 30.0]]]]
PRED_DBZ = [[[[25.0, 5.0, 40.0], [45.0, 15.0, 20.0]]]]


class TestContingencyCounts:

    def test_counts_by_hand(self):
        counts = contingency_counts(
            torch.tensor(PRED_DBZ), torch.tensor(GT_DBZ), (20.0, 40.0))
        assert counts.shape == (1, 2, 4) and counts.dtype == torch.int64
        # >= 20: hits at 35/40, 45/45, 30/20 (equality is an event), a miss
        # at 25/5, a false alarm at 0/25, a correct negative at 10/15.
        assert counts[0, 0].tolist() == [3, 1, 1, 1]
        # >= 40: a hit at 45/45, a false alarm at 35/40, 4 correct negatives.
        assert counts[0, 1].tolist() == [1, 0, 1, 4]

    def test_scores_by_hand(self):
        counts = torch.tensor([[3, 1, 1, 1], [1, 0, 1, 4]])
        scores = contingency_scores(counts)
        assert list(scores) == ['csi', 'hss', 'pod', 'far']
        np.testing.assert_allclose(scores['csi'], [3 / 5, 1 / 2])
        np.testing.assert_allclose(scores['pod'], [3 / 4, 1.0])
        np.testing.assert_allclose(scores['far'], [1 / 4, 1 / 2])
        # 2 (3 - 1) / (4 * 2 + 4 * 2) and 2 (4 - 0) / (1 * 4 + 2 * 5).
        np.testing.assert_allclose(scores['hss'], [4 / 16, 8 / 14])

    @pytest.mark.parametrize(
        'counts,expected',
        [
            # No event observed nor predicted: perfect.
            ([0, 0, 0, 6], dict(csi=1.0, hss=1.0, pod=1.0, far=0.0)),
            # Every pixel an event on both sides (HSS denominator 0).
            ([6, 0, 0, 0], dict(csi=1.0, hss=1.0, pod=1.0, far=0.0)),
            # Dry truth, one false alarm: nothing to detect, all alarms false.
            ([0, 0, 1, 5], dict(csi=0.0, hss=0.0, pod=1.0, far=1.0)),
            # Every event missed, nothing predicted: no false alarm.
            ([0, 2, 0, 4], dict(csi=0.0, hss=0.0, pod=0.0, far=0.0)),
        ])
    def test_edge_cases(self, counts, expected):
        scores = contingency_scores(torch.tensor(counts))
        for name, value in expected.items():
            assert scores[name].item() == pytest.approx(value), name
            assert not torch.isnan(scores[name])

    def test_bad_input(self):
        with pytest.raises(ValueError, match='at least one threshold'):
            contingency_counts(torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), [])
        with pytest.raises(ValueError, match='Unknown contingency'):
            contingency_scores(torch.zeros(4), ['ets'])


class TestContingencyScores:

    def test_metric_by_hand(self):
        # Same dBZ as above, away from the thresholds (21 not 20, 41 not 40)
        # as 70 p - 10 is not exact in floating point.
        pred = [[[[25.0, 5.0, 41.0], [45.0, 15.0, 21.0]]]]
        metric = ContingencyScores(thresholds=(20, 40), pixel_to_value=HKO_DBZ)
        metrics = run_metric(metric, [(dbz_frames(pred), dbz_frames(GT_DBZ))])
        expected = {
            'csi_20dbz': 3 / 5,
            'hss_20dbz': 1 / 4,
            'pod_20dbz': 3 / 4,
            'far_20dbz': 1 / 4,
            'csi_40dbz': 1 / 2,
            'hss_40dbz': 4 / 7,
            'pod_40dbz': 1.0,
            'far_40dbz': 1 / 2
        }
        assert list(metrics) == [
            key for name in ('csi', 'hss', 'pod', 'far')
            for thr in ('20dbz', '40dbz')
            for key in (f'{name}_{thr}', f'{name}_{thr}_curve')
        ]
        for key, value in expected.items():
            assert metrics[key] == pytest.approx(value), key
            assert metrics[f'{key}_curve'] == pytest.approx([value]), key

    def test_perfect_forecast_and_no_rain(self):
        rainy = dbz_frames([[[[0.0, 30.0], [50.0, 10.0]]],
                            [[[35.0, 0.0], [0.0, 0.0]]]])
        dry = torch.zeros(2, 1, 2, 2, dtype=torch.float64)
        metric = ContingencyScores(
            thresholds=(0.5, 5.0), pixel_to_value=HKO_DBZ, value='rain_rate')
        for frames in (rainy, dry):
            metrics = run_metric(metric, [(frames, frames)])
            for thr in ('0.5mm', '5mm'):
                for name, value in (('csi', 1.0), ('hss', 1.0), ('pod', 1.0),
                                    ('far', 0.0)):
                    assert metrics[f'{name}_{thr}'] == value
                    assert metrics[f'{name}_{thr}_curve'] == [value] * 2

    def test_sums_counts_not_scores(self):
        # 1x2x2 frames. Sequence A: 1 hit -> CSI 1. Sequence B: 1 hit and 3
        # misses -> CSI 1/4. Mean of the scores 5/8; from the summed counts
        # (H = 2, M = 3, F = 0): CSI 2/5, POD 2/5.
        gt_a = dbz_frames([[[[30.0, 0.0], [0.0, 0.0]]]])
        gt_b = dbz_frames([[[[30.0, 30.0], [30.0, 30.0]]]])
        pred_b = dbz_frames([[[[30.0, 0.0], [0.0, 0.0]]]])
        metric = CSI(thresholds=20, pixel_to_value=HKO_DBZ)
        metrics = run_metric(metric, [(gt_a, gt_a), (pred_b, gt_b)])
        assert metrics == {
            'csi_20dbz': pytest.approx(2 / 5),
            'csi_20dbz_curve': pytest.approx([2 / 5])
        }
        assert metrics['csi_20dbz'] != pytest.approx(5 / 8)
        assert len(metric.results) == 0  # cleared by evaluate

    def test_curve_per_lead_time(self):
        # Two frames; frame 1 is perfect, frame 2 misses everything.
        gt = dbz_frames([[[[30.0, 30.0]]], [[[30.0, 0.0]]]])
        pred = dbz_frames([[[[30.0, 30.0]]], [[[0.0, 0.0]]]])
        metric = ContingencyScores(
            thresholds=(20, ), pixel_to_value=HKO_DBZ, scores=('pod', 'far'))
        metrics = run_metric(metric, [(pred, gt), (gt, gt)])
        # Frame 1: H = 4. Frame 2: H = 1 (second sequence), M = 1.
        assert metrics['pod_20dbz_curve'] == pytest.approx([1.0, 0.5])
        assert metrics['pod_20dbz'] == pytest.approx(0.75)
        assert metrics['far_20dbz_curve'] == pytest.approx([0.0, 0.0])
        assert set(metrics) == {
            'pod_20dbz', 'pod_20dbz_curve', 'far_20dbz', 'far_20dbz_curve'
        }

    def test_copy_last_baseline(self):
        inputs = dbz_frames([[[[30.0, 0.0]]]])
        gt = dbz_frames([[[[30.0, 0.0]]], [[[0.0, 30.0]]]])
        metric = HSS(
            thresholds=20, pixel_to_value=HKO_DBZ, baseline='copy_last')
        metric.process(None, [
            dict(
                pred_frames=gt,
                gt_frames=gt,
                input_frames=inputs,
                sample_idx=0)
        ])
        metrics = metric.evaluate(1)
        assert metrics['hss_20dbz_curve'] == [1.0, 1.0]
        # Persistence: right at t=1, H=0 M=1 F=1 CN=0 at t=2: HSS -1.
        assert metrics['hss_20dbz_copy_last_curve'] == pytest.approx(
            [1.0, -1.0])
        assert metrics['hss_20dbz_copy_last'] == pytest.approx(0.0)

    def test_errors(self):
        with pytest.raises(ValueError, match='pixel_to_value'):
            CSI(thresholds=20)
        with pytest.raises(ValueError, match='thresholds must be'):
            CSI(thresholds=(), pixel_to_value=HKO_DBZ)
        with pytest.raises(ValueError, match='thresholds must be'):
            CSI(thresholds=('20', ), pixel_to_value=HKO_DBZ)
        with pytest.raises(ValueError, match='distinct'):
            CSI(thresholds=(20, 20.0), pixel_to_value=HKO_DBZ)
        with pytest.raises(ValueError, match='scores must be'):
            ContingencyScores(20, HKO_DBZ, scores=('csi', 'ets'))
        metric = POD(thresholds=20, pixel_to_value=HKO_DBZ)
        frames = torch.zeros(2, 1, 2, 2)
        metric.process(None, [
            dict(pred_frames=frames, gt_frames=frames, sample_idx=0),
            dict(pred_frames=frames[:1], gt_frames=frames[:1], sample_idx=1)
        ])
        with pytest.raises(ValueError, match='same number of frames'):
            metric.evaluate(2)


class TestBalancedErrors:

    def test_weights_by_bin(self):
        rate = torch.tensor(
            [0.0, 0.49, 0.5, 1.99, 2.0, 4.9, 5.0, 9.9, 10.0, 29.9, 30.0, 99])
        assert balancing_weights(rate).tolist() == [
            1, 1, 1, 1, 2, 2, 5, 5, 10, 10, 30, 30
        ]
        custom = balancing_weights(rate, bin_edges=(1, ), bin_weights=(0, 3))
        assert custom.tolist() == [0, 0, 0, 3, 3, 3, 3, 3, 3, 3, 3, 3]
        with pytest.raises(ValueError, match='one more than'):
            balancing_weights(rate, bin_edges=(1, 2), bin_weights=(1, 2))
        with pytest.raises(ValueError, match='strictly increasing'):
            balancing_weights(rate, bin_edges=(2, 1), bin_weights=(1, 2, 3))
        with pytest.raises(ValueError, match='same shape'):
            frame_balanced_mse(
                torch.zeros(1, 2, 2), torch.zeros(1, 2, 2), torch.ones(4))

    def test_hand_made_frame(self):
        # True rain rates 0.1, 1, 3, 40 mm/h -> weights 1, 1, 2, 30.
        gt = torch.tensor([[[[0.001, 0.01], [0.03, 0.4]]]],
                          dtype=torch.float64)
        errors = torch.tensor([[[[0.1, 0.2], [0.1, -0.1]]]],
                              dtype=torch.float64)
        pairs = [(gt + errors, gt)]
        metrics = run_metric(
            BMSE(
                pixel_to_value=RAIN_PERCENT,
                reduction=('frame_sum', 'pixel_mean')), pairs)
        # 1 * 0.01 + 1 * 0.04 + 2 * 0.01 + 30 * 0.01 = 0.37.
        assert metrics['bmse_per_frame'] == pytest.approx(0.37)
        assert metrics['bmse_per_frame_curve'] == pytest.approx([0.37])
        assert metrics['bmse_per_pixel'] == pytest.approx(0.37 / 4)
        metrics = run_metric(BMAE(pixel_to_value=RAIN_PERCENT), pairs)
        # 0.1 + 0.2 + 2 * 0.1 + 30 * 0.1 = 3.5.
        assert metrics == {
            'bmae_per_frame': pytest.approx(3.5),
            'bmae_per_frame_curve': pytest.approx([3.5])
        }

    def test_dbz_frames_use_zr_relation(self):
        # The same rain rates stored as HKO-7 dBZ, converted with Z-R.
        rates = torch.tensor([0.1, 1.0, 3.0, 40.0], dtype=torch.float64)
        zr = dict(a=58.53, b=1.56)
        gt = dbz_frames(rain_rate_to_dbz(rates, **zr).view(1, 1, 2, 2))
        pred = gt + 0.1
        metrics = run_metric(
            BMSE(pixel_to_value=HKO_DBZ, zr_relation=zr), [(pred, gt)])
        assert metrics['bmse_per_frame'] == pytest.approx(34 * 0.01)
        # Weights come from the truth only: swapping changes the value.
        metrics = run_metric(
            BMSE(pixel_to_value=HKO_DBZ, zr_relation=zr),
            [(torch.zeros_like(gt), gt)])
        expected = (gt.flatten()**2 * torch.tensor([1., 1, 2, 30])).sum()
        assert metrics['bmse_per_frame'] == pytest.approx(expected.item())

    def test_errors(self):
        with pytest.raises(ValueError, match='pixel_to_value'):
            BMSE()
        with pytest.raises(ValueError, match='one more than'):
            BMAE(pixel_to_value=HKO_DBZ, bin_weights=(1, 2))


# Registry and Evaluator.
METRIC_CONFIGS = [
    (dict(
        type='ContingencyScores',
        thresholds=(20, 30),
        scores=('csi', ),
        pixel_to_value=HKO_DBZ), ContingencyScores),
    (dict(
        type='CSI',
        thresholds=(0.5, 2),
        pixel_to_value=HKO_DBZ,
        value='rain_rate'), CSI),
    (dict(type='HSS', thresholds=30, pixel_to_value=HKO_DBZ), HSS),
    (dict(type='POD', thresholds=30, pixel_to_value=HKO_DBZ), POD),
    (dict(type='FAR', thresholds=30, pixel_to_value=HKO_DBZ), FAR),
    (dict(type='BMSE', pixel_to_value=HKO_DBZ, reduction='pixel_mean'), BMSE),
    (dict(
        type='BMAE', pixel_to_value=HKO_DBZ, zr_relation=dict(a=58.53,
                                                              b=1.56)), BMAE),
]


@pytest.fixture
def restore_default_scopes():
    """Give the test an empty set of default scopes, restore them after."""
    saved = DefaultScope._instance_dict
    DefaultScope._instance_dict = OrderedDict()
    yield
    DefaultScope._instance_dict = saved


@pytest.mark.parametrize('config,metric_type', METRIC_CONFIGS)
def test_build_without_default_scope(config, metric_type,
                                     restore_default_scopes):
    assert DefaultScope.get_current_instance() is None
    assert type(METRICS.build(dict(config))) is metric_type
    scoped = dict(config, type=f"stpredict.{config['type']}")
    assert type(MMENGINE_METRICS.build(scoped)) is metric_type


@pytest.mark.parametrize('config,metric_type', METRIC_CONFIGS)
def test_build_with_default_scope(config, metric_type):
    with DefaultScope.overwrite_default_scope('stpredict'):
        assert type(MMENGINE_METRICS.build(dict(config))) is metric_type
        assert type(METRICS.build(dict(config))) is metric_type


def test_evaluator_reports_every_key():
    data_samples = []
    for sample_idx in range(2):
        data_sample = SequenceDataSample(metainfo=dict(sample_idx=sample_idx))
        data_sample.input_frames = dbz_frames([[[[0.0, 30.0]]]]).float()
        data_sample.gt_frames = dbz_frames([[[[30.0, 30.0]]],
                                            [[[30.0, 0.0]]]]).float()
        data_sample.pred_frames = dbz_frames([[[[30.0, 0.0]]],
                                              [[[30.0, 0.0]]]]).float()
        data_samples.append(data_sample)
    with DefaultScope.overwrite_default_scope('stpredict'):
        evaluator = Evaluator([
            dict(
                type='CSI',
                thresholds=(0.5, 10),
                pixel_to_value=HKO_DBZ,
                value='rain_rate'),
            dict(type='FAR', thresholds=20, pixel_to_value=HKO_DBZ),
            dict(type='BMSE', pixel_to_value=HKO_DBZ, baseline='copy_last'),
        ])
    evaluator.process(data_samples)
    metrics = evaluator.evaluate(2)
    assert set(metrics) == {
        'csi_0.5mm', 'csi_0.5mm_curve', 'csi_10mm', 'csi_10mm_curve',
        'far_20dbz', 'far_20dbz_curve', 'bmse_per_frame',
        'bmse_per_frame_curve', 'bmse_per_frame_copy_last',
        'bmse_per_frame_copy_last_curve'
    }
    # 30 dBZ is 2.7 mm/h (Marshall-Palmer): an event at 0.5, not at 10 mm/h.
    assert metrics['csi_0.5mm_curve'] == pytest.approx([0.5, 1.0])
    assert metrics['csi_0.5mm'] == pytest.approx(0.75)
    assert metrics['csi_10mm_curve'] == [1.0, 1.0]
    assert metrics['far_20dbz'] == 0.0
    # Frame 1 misses a 30 dBZ pixel (2.7 mm/h, weight 2) by 30 / 70 (the
    # prediction is 0 dBZ).
    assert metrics['bmse_per_frame_curve'] == pytest.approx(
        [2 * (30 / 70)**2, 0.0], rel=1e-6)
    # Copy-last ([0, 30] dBZ) misses the 30 dBZ pixel of frame 1, and both
    # pixels of frame 2 (weights 2 and 1).
    assert metrics['bmse_per_frame_copy_last_curve'] == pytest.approx(
        [2 * (30 / 70)**2, 3 * (30 / 70)**2], rel=1e-6)
