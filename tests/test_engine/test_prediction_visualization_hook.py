"""PredictionVisualizationHook in real validation runs: forecast pictures of
fixed samples, per-frame metric curves, and the radar palette."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import VISBACKENDS
from mmengine.runner import Runner
from mmengine.visualization import BaseVisBackend

import stpredict.engine.hooks.prediction_visualization_hook as hook_module
from stpredict.apis.config_check import check_config
from stpredict.engine.hooks import PredictionVisualizationHook
from stpredict.testing.runner_smoke import shrink_config, train_briefly
from stpredict.visualization import (CAPTION_HEIGHT, LABEL_WIDTH, TITLE_HEIGHT,
                                     add_title, collect_curves,
                                     curves_figure_size, dbz_to_rgb)

TINY_CONFIG = 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'
RADAR_CONFIG = 'configs/convlstm/convlstm_4x64_radardwd-5to5.py'
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
GAP = 2  # pixels between the frames of a grid


@VISBACKENDS.register_module(force=True)
class RecordingVisBackend(BaseVisBackend):
    """Remembers what the visualizer sends to its backends (stands in for
    TensorboardVisBackend, whose package is not installed here)."""

    calls: list = []

    @property
    def experiment(self):
        return self

    def _init_env(self):
        pass

    def add_image(self, name, image, step=0, **kwargs):
        self.calls.append(('image', name, image.shape, step))

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        self.calls.append(('scalars', dict(scalar_dict), step))


def grid_size(rows, frames, height, width):
    """(height, width) of a grid of `rows` x `frames` frames."""
    return rows * (height + GAP) - GAP, frames * (width + GAP) - GAP


def labelled_size(frames, height, width):
    """(height, width) of a labelled forecast picture: a title band, caption
    strips over the observed and the true rows, a margin of row labels."""
    grid_height, grid_width = grid_size(4, frames, height, width)
    return (TITLE_HEIGHT + 2 * CAPTION_HEIGHT + grid_height,
            LABEL_WIDTH + grid_width)


def row_tops(height):
    """Top pixel of the observed, true, predicted and error rows."""
    observed = TITLE_HEIGHT + CAPTION_HEIGHT
    truth = observed + height + GAP + CAPTION_HEIGHT
    return observed, truth, truth + height + GAP, truth + 2 * (height + GAP)


def frame_at(image, row_top, column, height, width):
    left = LABEL_WIDTH + column * (width + GAP)
    return image[row_top:row_top + height, left:left + width]


def has_text(region):
    """Dark anti-aliased text on the white margin."""
    return (region < 100).all(axis=-1).any() and (region == 255).any()


def title_band(title, width):
    """The title band the hook draws for `title`, rendered alone."""
    blank = np.zeros((1, width, 3), np.uint8)
    return add_title(blank, title)[:TITLE_HEIGHT]


def read_rgb(path):
    image = cv2.imread(path)
    assert image is not None, f'{path} is not a readable image'
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def num_colours(image):
    packed = image.astype(np.int32) @ np.array([65536, 256, 1], np.int32)
    return len(np.unique(packed))


def vis_images(work_dir):
    return {
        osp.basename(p): p
        for p in glob.glob(osp.join(work_dir, '*', 'vis_data', 'vis_image',
                                    '*.png'))
    }


@pytest.fixture(scope='module')
def digits_run(tmp_path_factory, request):
    """Two training iterations of the tiny config, validating after each."""
    request.addfinalizer(RecordingVisBackend.calls.clear)
    RecordingVisBackend.calls.clear()
    work_dir = str(tmp_path_factory.mktemp('vis_digits'))
    out_dir = osp.join(work_dir, 'pictures')
    hook = dict(type='PredictionVisualizationHook', sample_indices=[1, 3],
                out_dir=out_dir)
    runner = train_briefly(
        osp.join(ROOT, TINY_CONFIG), work_dir, iterations=2,
        num_sequences=4,
        cfg_options={
            'model.neck.hidden_channels': 8,
            'train_cfg.val_interval': 1,
            'custom_hooks': [hook],
            'visualizer.vis_backends': [
                dict(type='LocalVisBackend'),
                dict(type='RecordingVisBackend')
            ],
        })
    assert runner.iter == 2
    return work_dir, out_dir, list(RecordingVisBackend.calls)


def test_pictures_of_the_same_samples_at_every_validation(digits_run):
    work_dir, out_dir, _ = digits_run
    images = vis_images(work_dir)
    # samples 1 and 3 at iterations 1 and 2, not the first samples 0 and 2
    expected = {f'val_{i}_{it}.png' for i in (1, 3) for it in (1, 2)}
    assert expected <= set(images)
    assert not {'val_0_1.png', 'val_2_1.png'} & set(images)
    assert sorted(osp.basename(p) for p in glob.glob(
        osp.join(out_dir, '*.png'))) == ['val_1.png', 'val_3.png']
    # 4 rows (observed, true, predicted, error) x 10 frames of 64x64, with
    # a title, two caption strips and the row labels
    tops = row_tops(64)
    for name in expected:
        image = read_rgb(images[name])
        assert image.shape == (*labelled_size(10, 64, 64), 3)
        observed = frame_at(image, tops[0], 0, 64, 64)
        assert observed.max() > 200 and observed.min() < 30  # digits on black
        assert num_colours(image) > 20
        # a label in the margin of every row, captions over the frames
        for top in tops:
            assert has_text(image[top:top + 64, :LABEL_WIDTH])
        for strip_top in (tops[0] - CAPTION_HEIGHT, tops[1] - CAPTION_HEIGHT):
            assert has_text(image[strip_top:strip_top + CAPTION_HEIGHT,
                                  LABEL_WIDTH:LABEL_WIDTH + 64])
    # the title names the phase, the iteration and the sample
    for index in (1, 3):
        for it in (1, 2):
            image = read_rgb(images[f'val_{index}_{it}.png'])
            assert np.array_equal(
                image[:TITLE_HEIGHT],
                title_band(f'val at iteration {it}, sample {index}',
                           image.shape[1]))
    # the true frames of a sample are the same at both validations
    first, second = (read_rgb(images[f'val_1_{it}.png']) for it in (1, 2))
    true_row = slice(tops[1], tops[1] + 64)
    assert np.array_equal(first[true_row], second[true_row])
    # the picture in out_dir is the last validation's
    assert np.array_equal(read_rgb(osp.join(out_dir, 'val_1.png')), second)


def test_test_pictures_carry_the_checkpoint_iteration(digits_run, tmp_path,
                                                      monkeypatch):
    """A test-only run (as tools/test.py) of the iteration-2 checkpoint."""
    work_dir, _, _ = digits_run
    titles = []
    plot = hook_module.plot_metric_curves

    def recording_plot(curves, **kwargs):
        titles.append(kwargs['title'])
        return plot(curves, **kwargs)

    monkeypatch.setattr(hook_module, 'plot_metric_curves', recording_plot)
    RecordingVisBackend.calls.clear()
    cfg = shrink_config(Config.fromfile(osp.join(ROOT, TINY_CONFIG)),
                        str(tmp_path), num_sequences=2)
    cfg.merge_from_dict({
        'model.neck.hidden_channels': 8,
        'default_hooks.visualization.num_samples': 1,
        'visualizer.vis_backends': [dict(type='LocalVisBackend'),
                                    dict(type='RecordingVisBackend')],
    })
    cfg.load_from = osp.join(work_dir, 'iter_2.pth')
    check_config(cfg, training=False)
    runner = Runner.from_cfg(cfg)
    runner.test()
    assert titles == ['test at iteration 2']
    images = vis_images(str(tmp_path))
    assert {'test_0_2.png', 'test_metric_curves_2.png'} <= set(images)
    image = read_rgb(images['test_0_2.png'])
    assert np.array_equal(image[:TITLE_HEIGHT], title_band(
        'test at iteration 2, sample 0', image.shape[1]))
    steps = {c[1]: c[3] for c in RecordingVisBackend.calls
             if c[0] == 'image'}
    assert steps == {'test_0': 2, 'test_metric_curves': 2}
    scalars = [c for c in RecordingVisBackend.calls if c[0] == 'scalars']
    assert scalars and all(c[2] == 2 for c in scalars)
    # (the train loop was not built only to read its counter)
    assert not hasattr(runner._train_loop, 'iter')


def test_metric_curve_picture_at_every_validation(digits_run):
    work_dir, _, calls = digits_run
    images = vis_images(work_dir)
    # the tiny config's val metrics: MSE and MAE (per frame and per pixel),
    # SSIM, PSNR -> 6 panels, 3 per row
    height, width = curves_figure_size(6, columns=3)
    assert (height, width) == (600, 1200)
    for it in (1, 2):
        image = read_rgb(images[f'val_metric_curves_{it}.png'])
        assert image.shape == (height, width, 3)
        assert (image == 255).all(axis=-1).mean() > 0.5  # white background
        assert num_colours(image) > 50  # drawn
    # a backend besides the local one got the same pictures and the curve
    # points as scalars, at the iteration of the validation
    pictures = [(c[1], c[3]) for c in calls if c[0] == 'image']
    assert ('val_metric_curves', 1) in pictures
    assert ('val_metric_curves', 2) in pictures and ('val_3', 2) in pictures
    scalars = [c for c in calls if c[0] == 'scalars'
               and 'val_curves/ssim/frame_01' in c[1]]
    assert [c[2] for c in scalars] == [1, 2]
    points = scalars[-1][1]
    assert len([k for k in points if k.startswith('val_curves/ssim/')]) == 10
    assert all(0 < points[f'val_curves/ssim/frame_{t:02d}'] <= 1
               for t in range(1, 11))
    # LocalVisBackend writes the same points to scalars.json
    (scalars_file, ) = glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))
    with open(scalars_file) as file:
        lines = [json.loads(line) for line in file]
    logged = [line for line in lines if 'val_curves/mse_per_frame/frame_10'
              in line]
    assert [line['step'] for line in logged] == [1, 2]
    assert logged[-1] == {**points, 'step': 2}


def test_collect_curves_pairs_the_baseline():
    metrics = {
        'mse_per_frame': 2.0,
        'mse_per_frame_curve': [1.0, 3.0],
        'mse_per_frame_copy_last_curve': [2.0, 4.0],
        'ssim_curve': np.array([0.9, 0.8]),
        'note_curve': 'not a curve',
        'psnr': 12.0,
    }
    assert collect_curves(metrics) == {
        'mse_per_frame': dict(model=[1.0, 3.0], copy_last=[2.0, 4.0]),
        'ssim': dict(model=[0.9, 0.8]),
    }


def test_hook_rejects_wrong_options():
    with pytest.raises(ValueError, match='cmap must be one of'):
        PredictionVisualizationHook(cmap='jet')
    with pytest.raises(ValueError, match='sample_indices'):
        PredictionVisualizationHook(sample_indices=3)
    with pytest.raises(ValueError, match='pixel_to_value'):
        PredictionVisualizationHook(cmap='radar', pixel_to_value=dict(
            type='log', scale=1.0))


@pytest.fixture(scope='module')
def radar_run(tmp_path_factory):
    """The DWD radar config (radar palette on) on a tiny radar archive."""
    root = tmp_path_factory.mktemp('radar')
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:16, :16]
    for split in ('train', 'val', 'test'):
        frames = []
        for t in range(20):
            # a storm moving right: pixels up to 255 (60 dBZ) at its core
            dist = np.hypot(yy - 8, xx - 3 - t % 10)
            storm = 255 * np.exp(-dist**2 / 18) + rng.uniform(0, 20, (16, 16))
            frames.append(np.clip(storm, 0, 255).astype(np.uint8))
        (root / split).mkdir()
        np.save(root / split / 'event.npy', np.stack(frames))
    work_dir = str(tmp_path_factory.mktemp('vis_radar'))
    options = {
        'model.neck.hidden_channels': 8,
        'default_hooks.visualization.num_samples': 1,
    }
    for loader in ('train', 'val', 'test'):
        prefix = f'{loader}_dataloader.dataset.'
        options.update({prefix + 'data_root': str(root),
                        prefix + 'image_size': 16,
                        prefix + 'interval': 1})
    train_briefly(osp.join(ROOT, RADAR_CONFIG), work_dir, iterations=1,
                  cfg_options=options)
    return work_dir, np.load(root / 'val' / 'event.npy')


def test_radar_config_draws_in_the_radar_palette(radar_run):
    work_dir, frames = radar_run
    images = vis_images(work_dir)
    image = read_rgb(images['val_0_1.png'])
    # 5 observed and 5 future frames of 16x16 (interval 1, no resizing)
    assert image.shape == (*labelled_size(5, 16, 16), 3)
    # the true future frames in the radar palette, from the dataset's
    # value_transform: dBZ = 70 * pixel / 255 - 10
    true_top = row_tops(16)[1]
    for t in range(5):
        expected = dbz_to_rgb(70.0 * frames[5 + t] / 255.0 - 10.0)
        assert np.array_equal(frame_at(image, true_top, t, 16, 16), expected)
    true_row = image[true_top:true_top + 16, LABEL_WIDTH:]
    colours = {tuple(c) for c in true_row.reshape(-1, 3)}
    assert (255, 255, 255) in colours  # below 15 dBZ: white
    assert (255, 0, 0) in colours or (200, 0, 0) in colours  # >= 55 dBZ
    # the curves of the six validation metrics
    curves = read_rgb(images['val_metric_curves_1.png'])
    assert curves.shape == (600, 1200, 3)
