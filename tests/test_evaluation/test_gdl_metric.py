"""Gradient difference (GDL) as a frame metric."""
from collections import OrderedDict

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import DefaultScope

from stpredict.evaluation import GDL, frame_gdl
from stpredict.registry import METRICS

# A 1x2x3 frame worked out by hand.
GT = torch.tensor([[[0.0, 0.1, 0.3], [0.2, 0.2, 0.2]]], dtype=torch.float64)


class TestFrameGDL:

    def test_by_hand(self):
        flat = torch.zeros_like(GT)
        # |dx(gt)|: 0.1, 0.2 (row 0), 0, 0 (row 1) -> 0.3.
        # |dy(gt)|: 0.2, 0.1, 0.1 -> 0.4.
        assert frame_gdl(flat, GT).item() == pytest.approx(0.7)
        assert frame_gdl(GT, flat).item() == pytest.approx(0.7)
        # alpha = 2: 0.01 + 0.04 + 0.04 + 0.01 + 0.01.
        assert frame_gdl(flat, GT, alpha=2).item() == pytest.approx(0.11)
        assert frame_gdl(
            flat, GT, reduction='pixel_mean').item() == pytest.approx(0.7 / 6)

    def test_compares_gradient_magnitudes(self):
        # A constant shift and a sign flip keep every |gradient|: GDL 0,
        # though the frames differ.
        assert frame_gdl(GT + 0.5, GT).item() == pytest.approx(0.0)
        assert frame_gdl(0.3 - GT, GT).item() == pytest.approx(0.0, abs=1e-12)
        # Doubling the contrast doubles every |gradient|.
        assert frame_gdl(2 * GT, GT).item() == pytest.approx(0.7)

    def test_batch_shapes(self):
        pred = torch.rand(2, 3, 2, 5, 4)
        gt = torch.rand(2, 3, 2, 5, 4)
        values = frame_gdl(pred, gt)
        assert values.shape == (2, 3) and values.dtype == torch.float32
        assert values[1, 2].item() == pytest.approx(
            frame_gdl(pred[1, 2], gt[1, 2]).item())
        # A single row or column has no difference along that axis.
        assert frame_gdl(
            torch.zeros(1, 1, 3),
            torch.tensor([[[0.0, 0.5, 0.5]]])).item() == pytest.approx(0.5)

    def test_errors(self):
        with pytest.raises(ValueError, match='alpha'):
            frame_gdl(GT, GT, alpha=0)
        with pytest.raises(ValueError, match='reduction'):
            frame_gdl(GT, GT, reduction='mean')
        with pytest.raises(ValueError, match='same shape'):
            frame_gdl(GT, GT[..., :2])
        with pytest.raises(ValueError, match='alpha'):
            GDL(alpha=-1)


def test_metric_curves_and_baseline():
    flat = torch.zeros_like(GT)
    # Sequence 0: frames flat (GDL 0.7) then GT (0); sequence 1: both flat.
    pred = torch.stack([flat, GT])
    gt = torch.stack([GT, GT])
    inputs = torch.stack([flat, GT])
    metric = GDL(reduction=('frame_sum', 'pixel_mean'), baseline='copy_last')
    metric.process(None, [
        dict(
            pred_frames=pred, gt_frames=gt, input_frames=inputs, sample_idx=0),
        dict(
            pred_frames=torch.stack([flat, flat]),
            gt_frames=gt,
            input_frames=inputs,
            sample_idx=1),
    ])
    metrics = metric.evaluate(2)
    assert metrics['gdl_per_frame_curve'] == pytest.approx([0.7, 0.35])
    assert metrics['gdl_per_frame'] == pytest.approx(0.525)
    assert metrics['gdl_per_pixel'] == pytest.approx(0.525 / 6)
    # Copy-last repeats GT, which is right for every frame.
    assert metrics['gdl_per_frame_copy_last_curve'] == pytest.approx(
        [0.0, 0.0])
    assert len(metrics) == 8


@pytest.fixture
def restore_default_scopes():
    """Give the test an empty set of default scopes, restore them after."""
    saved = DefaultScope._instance_dict
    DefaultScope._instance_dict = OrderedDict()
    yield
    DefaultScope._instance_dict = saved


def test_build_without_default_scope(restore_default_scopes):
    assert DefaultScope.get_current_instance() is None
    metric = METRICS.build(dict(type='GDL', alpha=2.0))
    assert type(metric) is GDL and metric.alpha == 2.0
    metric = MMENGINE_METRICS.build(
        dict(type='stpredict.GDL', reduction='pixel_mean'))
    assert type(metric) is GDL and metric.reductions == ('pixel_mean', )


def test_evaluator_with_default_scope():
    with DefaultScope.overwrite_default_scope('stpredict'):
        evaluator = Evaluator([dict(type='GDL', reduction='pixel_mean')])
    assert type(evaluator.metrics[0]) is GDL
    evaluator.process([
        dict(
            pred_frames=torch.zeros(2, 1, 2, 3),
            gt_frames=GT.expand(2, 1, 2, 3),
            sample_idx=0)
    ])
    metrics = evaluator.evaluate(1)
    assert metrics['gdl_per_pixel'] == pytest.approx(0.7 / 6, rel=1e-6)
    assert metrics['gdl_per_pixel_curve'] == pytest.approx(
        [0.7 / 6] * 2, rel=1e-6)
