"""Validation scalars at their real iterations, read back from TensorBoard's
event files and from scalars.json."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from stpredict.apis.config_check import check_config
from stpredict.engine.metric_logger_hook import (MetricLoggerHook,
                                                 checkpoint_progress)
from stpredict.testing.runner_smoke import shrink_config, train_briefly

TINY_CONFIG = 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
BACKENDS = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
OPTIONS = {
    'model.neck.hidden_channels': 8,
    'default_hooks.visualization': None,
    'visualizer.vis_backends': BACKENDS,
}


def tensorboard_scalars(work_dir):
    """{tag: [(step, value), ...]} of every event file of the work dir."""
    event_accumulator = pytest.importorskip(
        'tensorboard.backend.event_processing.event_accumulator',
        reason='TensorBoard is a test requirement: pip install -e .[tests]')
    files = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.*'))
    assert files, f'no TensorBoard event file under {work_dir}'
    scalars = {}
    for path in files:
        reader = event_accumulator.EventAccumulator(
            path, size_guidance={event_accumulator.SCALARS: 0})
        reader.Reload()
        for tag in reader.Tags()['scalars']:
            scalars.setdefault(tag, []).extend(
                (event.step, event.value) for event in reader.Scalars(tag))
    return scalars


def json_scalars(work_dir):
    """{key: [(step, value), ...]} of the run's scalars.json files."""
    scalars = {}
    for path in glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as file:
            for line in file:
                record = json.loads(line)
                step = record.pop('step')
                for key, value in record.items():
                    scalars.setdefault(key, []).append((step, value))
    return scalars


def steps(points):
    return [step for step, _ in points]


@pytest.fixture(scope='module')
def tensorboard_run(tmp_path_factory):
    """4 training iterations, validating every 2, with TensorBoard."""
    pytest.importorskip('tensorboard')
    work_dir = str(tmp_path_factory.mktemp('tensorboard_run'))
    runner = train_briefly(
        osp.join(ROOT, TINY_CONFIG), work_dir, iterations=4,
        cfg_options={**OPTIONS, 'train_cfg.val_interval': 2})
    assert runner.iter == 4
    return work_dir


def test_validation_metrics_at_their_iterations_in_tensorboard(
        tensorboard_run):
    scalars = tensorboard_scalars(tensorboard_run)
    for metric in ('mse_per_frame', 'mae_per_frame', 'ssim', 'psnr'):
        assert steps(scalars[metric]) == [2, 4], metric
    # training scalars at every iteration (logger interval 1 in tests)
    assert steps(scalars['loss']) == [1, 2, 3, 4]
    # timings: training's under time, validation's under val/time
    assert steps(scalars['time']) == [1, 2, 3, 4]
    assert steps(scalars['data_time']) == [1, 2, 3, 4]
    assert steps(scalars['val/time']) == [2, 4]
    assert steps(scalars['val/data_time']) == [2, 4]
    assert all(value > 0 for _, value in scalars['mse_per_frame'])


def test_scalars_json_has_the_same_steps(tensorboard_run):
    from_json = json_scalars(tensorboard_run)
    from_events = tensorboard_scalars(tensorboard_run)
    for key in ('mse_per_frame', 'ssim', 'loss', 'time', 'val/time'):
        assert steps(from_json[key]) == steps(from_events[key]), key
        assert [v for _, v in from_json[key]] == pytest.approx(
            [v for _, v in from_events[key]], rel=1e-6), key


def test_validation_alone_logs_at_the_checkpoint_iteration(
        tensorboard_run, tmp_path):
    checkpoint = osp.join(tensorboard_run, 'iter_4.pth')
    assert osp.isfile(checkpoint)
    cfg = shrink_config(
        Config.fromfile(osp.join(ROOT, TINY_CONFIG)), str(tmp_path))
    cfg.merge_from_dict(OPTIONS)
    # (saving a best checkpoint needs a training run)
    cfg.default_hooks.checkpoint = None
    cfg.load_from = checkpoint
    check_config(cfg, training=False)  # as tools/test.py does
    runner = Runner.from_cfg(cfg)
    runner.val()
    scalars = tensorboard_scalars(str(tmp_path))
    assert steps(scalars['mse_per_frame']) == [4]
    assert steps(scalars['val/time']) == [4]
    assert 'time' not in scalars
    assert steps(json_scalars(str(tmp_path))['mse_per_frame']) == [4]
    # the train loop was not built only to read its counter
    assert not hasattr(runner._train_loop, 'iter')


def test_checkpoint_progress():
    assert checkpoint_progress(dict(meta=dict(iter=200, epoch=1))) == dict(
        iter=200, epoch=1)
    assert checkpoint_progress(dict(state_dict={})) == dict(iter=None,
                                                            epoch=None)
    assert checkpoint_progress(None) == dict(iter=None, epoch=None)
    # weights cut from a Runner checkpoint, which the meta names
    exported = dict(meta=dict(source='best_mse_per_frame_iter_750.pth'))
    assert checkpoint_progress(exported) == dict(iter=750, epoch=None)
    assert checkpoint_progress(dict(meta=dict(source='multiter_7.pth'))) == \
        dict(iter=None, epoch=None)


def test_metric_by_epoch_option():
    hook = MetricLoggerHook(interval=5, log_metric_by_epoch=True)
    assert hook.interval == 5 and hook.metric_by_epoch is True
    assert MetricLoggerHook().metric_by_epoch is None
