"""Frame metrics built from configs and run through mmengine's Evaluator."""
from collections import OrderedDict

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import DefaultScope

from stpredict.evaluation import MAE, MSE, PSNR, SSIM
from stpredict.registry import METRICS
from stpredict.structures import SequenceDataSample

METRIC_CONFIGS = [
    (dict(type='MSE', reduction=('frame_sum', 'pixel_mean')), MSE),
    (dict(type='MAE', reduction='pixel_mean', baseline='copy_last'), MAE),
    (dict(type='PSNR', data_range=255.0), PSNR),
    (dict(type='SSIM', window_size=7, sigma=1.0), SSIM),
]


def check_built(metric, config: dict, metric_type: type) -> None:
    assert type(metric) is metric_type
    for name, value in config.items():
        if name == 'type':
            continue
        if name == 'reduction':
            expected = (value, ) if isinstance(value, str) else value
            assert metric.reductions == expected
        else:
            assert getattr(metric, name) == value


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
    check_built(METRICS.build(dict(config)), config, metric_type)
    # From mmengine's root registry, with the scope in the type.
    scoped = dict(config, type=f"stpredict.{config['type']}")
    check_built(MMENGINE_METRICS.build(scoped), config, metric_type)


@pytest.mark.parametrize('config,metric_type', METRIC_CONFIGS)
def test_build_with_default_scope(config, metric_type):
    with DefaultScope.overwrite_default_scope('stpredict'):
        assert DefaultScope.get_current_instance().scope_name == 'stpredict'
        # mmengine's root registry switches to stpredict's child registry.
        check_built(MMENGINE_METRICS.build(dict(config)), config, metric_type)
        check_built(METRICS.build(dict(config)), config, metric_type)


def test_build_with_named_default_scope_instance(restore_default_scopes):
    DefaultScope.get_instance('t', scope_name='stpredict')
    for config, metric_type in METRIC_CONFIGS:
        check_built(MMENGINE_METRICS.build(dict(config)), config, metric_type)


def make_data_samples():
    """Two sequences (T_in=2, T_out=3) of 1x16x16 constant frames."""
    data_samples = []
    for sample_idx, offset in enumerate((0.1, 0.2)):
        data_sample = SequenceDataSample(metainfo=dict(sample_idx=sample_idx))
        data_sample.input_frames = torch.stack(
            [torch.full((1, 16, 16), value) for value in (0.0, 0.3)])
        gt = torch.stack(
            [torch.full((1, 16, 16), value) for value in (0.3, 0.4, 0.5)])
        data_sample.gt_frames = gt
        data_sample.pred_frames = gt + offset
        data_samples.append(data_sample)
    return data_samples


def test_evaluator_reports_every_key():
    with DefaultScope.overwrite_default_scope('stpredict'):
        evaluator = Evaluator([
            dict(
                type='MSE',
                reduction=('frame_sum', 'pixel_mean'),
                baseline='copy_last'),
            dict(type='MAE', reduction='pixel_mean'),
            dict(type='PSNR'),
            dict(type='SSIM'),
        ])
    evaluator.process(make_data_samples())
    metrics = evaluator.evaluate(2)

    assert set(metrics) == {
        'mse_per_frame', 'mse_per_frame_curve', 'mse_per_pixel',
        'mse_per_pixel_curve', 'mse_per_frame_copy_last',
        'mse_per_frame_copy_last_curve', 'mse_per_pixel_copy_last',
        'mse_per_pixel_copy_last_curve', 'mae_per_pixel',
        'mae_per_pixel_curve', 'psnr', 'psnr_curve', 'ssim', 'ssim_curve'
    }
    # Offsets 0.1 and 0.2 on every frame: per-pixel MSE 0.01 and 0.04.
    assert metrics['mse_per_pixel'] == pytest.approx(0.025, rel=1e-5)
    assert metrics['mse_per_pixel_curve'] == pytest.approx([0.025] * 3,
                                                           rel=1e-5)
    assert metrics['mse_per_frame'] == pytest.approx(0.025 * 256, rel=1e-5)
    assert metrics['mae_per_pixel'] == pytest.approx(0.15, rel=1e-5)
    # PSNR averaged per frame: (20 + 13.979...) / 2, not of the mean error.
    assert metrics['psnr'] == pytest.approx(
        (20.0 - 20 * torch.tensor(0.2).log10().item()) / 2, rel=1e-5)
    c1 = 0.01**2

    def constant_ssim(mu_x, mu_y):
        return (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)

    expected_ssim_curve = [(constant_ssim(gt + 0.1, gt) +
                            constant_ssim(gt + 0.2, gt)) / 2
                           for gt in (0.3, 0.4, 0.5)]
    assert metrics['ssim_curve'] == pytest.approx(
        expected_ssim_curve, rel=1e-5)
    # Copy-last: the last input frame 0.3 against gt 0.3, 0.4, 0.5.
    assert metrics['mse_per_pixel_copy_last_curve'] == pytest.approx(
        [0.0, 0.01, 0.04], abs=1e-7)
    assert metrics['mse_per_frame_copy_last'] == pytest.approx(
        0.05 * 256 / 3, rel=1e-5)


def test_evaluator_without_gt_explains_why():
    data_sample = SequenceDataSample(metainfo=dict(sample_idx=3))
    data_sample.pred_frames = torch.rand(2, 1, 16, 16)
    evaluator = Evaluator(METRICS.build(dict(type='PSNR')))
    with pytest.raises(ValueError, match='forecasting without future'):
        evaluator.process([data_sample])
