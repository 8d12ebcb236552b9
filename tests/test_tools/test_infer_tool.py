"""tools/infer.py and tools/test.py --save-predictions on a trained model.

The first tool run of each kind is a subprocess, as a user runs it; the
other runs of tools/infer.py execute the script in this process (runpy),
which skips the seconds of start-up per run.
"""
import json
import os.path as osp
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image
from tool_runner import FAST_OPTIONS, PYTHON, REPO_ROOT, TINY_CONFIG, run_tool

from stpredict.apis import forecast, init_forecaster
from stpredict.registry import DATASETS
from stpredict.utils import register_all_modules


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train the tiny config for 2 iterations; the work dir keeps the
    merged config and the checkpoint."""
    work_dir = tmp_path_factory.mktemp('infer')
    run_tool(PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir',
             str(work_dir), '--cfg-options', 'train_cfg.max_iters=2',
             *FAST_OPTIONS)
    config = str(work_dir / osp.basename(TINY_CONFIG))
    checkpoint = str(work_dir / 'iter_2.pth')
    assert osp.isfile(config) and osp.isfile(checkpoint)
    return config, checkpoint


@pytest.fixture(scope='module')
def model(trained):
    return init_forecaster(*trained)


@pytest.fixture(scope='module')
def test_windows(trained):
    """The uint8 windows [N, T_in + T_out, C, H, W] of the test split."""
    register_all_modules(init_default_scope=False)
    dataset = DATASETS.build(Config.fromfile(trained[0]).test_dataloader
                             .dataset)
    return np.stack([dataset[i]['inputs'].numpy()
                     for i in range(len(dataset))])


def infer(trained, *args):
    """Run tools/infer.py in a subprocess; return its output."""
    return run_tool(PYTHON, 'tools/infer.py', *trained, *args)[1]


def infer_here(monkeypatch, trained, *args):
    """Run tools/infer.py in this process."""
    script = osp.join(REPO_ROOT, 'tools', 'infer.py')
    monkeypatch.setattr(sys, 'argv', [script, *trained, *args])
    runpy.run_path(script, run_name='__main__')


@pytest.fixture(scope='module')
def saved(trained, tmp_path_factory):
    """tools/test.py --save-predictions on the 8 test sequences."""
    work_dir = tmp_path_factory.mktemp('test_run')
    out = work_dir / 'preds'
    _, log = run_tool(PYTHON, 'tools/test.py', TINY_CONFIG, trained[1],
                      '--work-dir', str(work_dir), '--save-predictions',
                      str(out), '--cfg-options', *FAST_OPTIONS)
    assert 'Saved the predictions of 8 test sequences' in log
    np.testing.assert_array_equal(np.load(out / 'sample_idx.npy'),
                                  np.arange(8))
    # what the dataset knows of each row (generated digits: their index)
    sequences = json.loads((out / 'sequences.json').read_text())
    assert sequences[3] == dict(sample_idx=3, sequence_idx=3, split='test')
    return np.load(out / 'predictions.npy')


def test_checkpoint_of_a_training_run_records_its_frames(trained, model):
    # FrameMetaHook (default_runtime.py) wrote the frames into the meta of
    # the checkpoint that tools/train.py saved; init_forecaster read it back
    import torch
    meta = torch.load(trained[1], map_location='cpu', weights_only=False)
    assert meta['meta']['frames'] == dict(height=64, width=64, channels=1)
    assert model.frames_meta == dict(
        height=64, width=64, channels=1, source='checkpoint')


def test_test_tool_saves_what_the_api_forecasts(model, saved, test_windows):
    assert saved.shape == (8, 10, 1, 64, 64) and saved.dtype == np.float32
    assert 0 <= saved.min() and saved.max() <= 1 and saved.std() > 1e-3
    # the API sees only the observed frames, as floats or as uint8
    observed = test_windows[:, :10]
    pred = forecast(model, observed.astype(np.float32) / np.float32(255),
                    batch_size=4, layout='BTCHW')
    np.testing.assert_allclose(pred, saved, rtol=0, atol=1e-6)
    pred_uint8 = forecast(model, observed, batch_size=4, layout='BTCHW')
    assert np.abs(pred_uint8.astype(int) -
                  np.round(saved * 255)).max() <= 1


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU (gloo) only')
def test_save_predictions_in_two_processes(trained, saved, tmp_path):
    # 7 sequences in batches of 2 over 2 ranks: the sampler pads to 8, the
    # rows come back in dataset order without the padding
    out = tmp_path / 'ddp'
    run_tool('bash', 'tools/dist_test.sh', TINY_CONFIG, trained[1], '2',
             '--work-dir', str(tmp_path), '--save-predictions', str(out),
             '--cfg-options', *FAST_OPTIONS,
             'test_dataloader.dataset.num_sequences=7',
             'test_dataloader.batch_size=2', env=dict(PORT='29533'))
    np.testing.assert_array_equal(np.load(out / 'sample_idx.npy'),
                                  np.arange(7))
    ddp = np.load(out / 'predictions.npy')
    assert ddp.shape == (7, 10, 1, 64, 64)
    np.testing.assert_allclose(ddp, saved[:7], rtol=0, atol=1e-6)


def read_gif(path):
    image = Image.open(path)
    frames = []
    for index in range(image.n_frames):
        image.seek(index)
        frames.append(np.asarray(image.convert('RGB')))
    return frames, image.size, image.info.get('duration')


def test_npy_batch_gives_one_folder_per_sequence(trained, model,
                                                 test_windows, tmp_path):
    batch = test_windows[:2, :10, 0]  # (B, T, H, W) uint8
    np.save(tmp_path / 'batch.npy', batch)
    out = tmp_path / 'out'
    log = infer(trained, '--input', str(tmp_path / 'batch.npy'), '--out',
                str(out), '--layout', 'BTHW')
    assert '2 sequences (BTHW input)' in log
    expected = forecast(model, batch, layout='BTHW')  # the same batch
    for index in range(2):
        folder = out / f'seq_{index:03d}'
        names = sorted(p.name for p in folder.iterdir())
        assert names == ['forecast.gif'] + [f'pred_{t:02d}.png'
                                            for t in range(10)]
        for t in range(10):
            png = np.asarray(Image.open(folder / f'pred_{t:02d}.png'))
            np.testing.assert_array_equal(png, expected[index, t])
        frames, size, duration = read_gif(folder / 'forecast.gif')
        assert len(frames) == 20 and size == (68, 68)
        assert duration == 250  # --fps 4
        # observed frames inside a gray border, predicted ones in red
        np.testing.assert_array_equal(frames[0][2:-2, 2:-2, 0],
                                      batch[index, 0])
        np.testing.assert_array_equal(frames[12][2:-2, 2:-2, 1],
                                      expected[index, 2])
        assert tuple(frames[9][0, 0]) == (96, 96, 96)
        assert tuple(frames[10][0, 0]) == (255, 0, 0)


def test_image_folder_last_frames_to_npy(trained, model, test_windows,
                                         tmp_path, monkeypatch):
    folder = tmp_path / 'frames'
    folder.mkdir()
    sequence = test_windows[3, :, 0]
    for t in range(12):  # f2 before f10: sorted by number
        cv2.imwrite(str(folder / f'f{t}.png'), sequence[t])
    out = tmp_path / 'out'
    infer_here(monkeypatch, trained, '--input', str(folder), '--out',
               str(out), '--format', 'npy', '--take', 'last', '--no-gif')
    assert sorted(p.name for p in out.iterdir()) == ['pred.npy']
    pred = np.load(out / 'pred.npy')
    assert pred.shape == (10, 64, 64, 1) and pred.dtype == np.uint8
    np.testing.assert_array_equal(
        pred, forecast(model, sequence[2:12, ..., None]))


def write_video(path, frames):
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, frames.shape[1:][::-1])
    assert writer.isOpened(), 'this OpenCV cannot write MJPG videos'
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()


def test_video_input(trained, model, test_windows, tmp_path, monkeypatch):
    sequence = test_windows[5, :12, 0]
    video = tmp_path / 'clip.avi'
    write_video(video, sequence)
    capture = cv2.VideoCapture(str(video))
    read_back = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        read_back.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    capture.release()
    assert len(read_back) == 12
    # MJPG is lossy, but the frames are the ones written
    assert np.abs(np.stack(read_back).astype(int) - sequence).mean() < 8

    out = tmp_path / 'out'
    infer_here(monkeypatch, trained, '--input', str(video), '--out',
               str(out), '--fps', '5')
    expected = forecast(model, str(video))  # the first T_in frames
    assert expected.shape == (10, 64, 64, 1)
    np.testing.assert_array_equal(
        expected, forecast(model, np.stack(read_back)[:10, ..., None]))
    for t in range(10):
        png = np.asarray(Image.open(out / f'pred_{t:02d}.png'))
        np.testing.assert_array_equal(png, expected[t, ..., 0])
    frames, size, duration = read_gif(out / 'forecast.gif')
    assert len(frames) == 20 and size == (68, 68) and duration == 200


def test_clear_errors(trained, test_windows, tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match='missing" does not exist'):
        infer_here(monkeypatch, trained, '--input', str(tmp_path / 'missing'),
                   '--out', str(tmp_path / 'o1'))
    short = tmp_path / 'short.avi'
    write_video(short, test_windows[0, :5, 0])
    with pytest.raises(ValueError, match='has 5 frames') as info:
        infer_here(monkeypatch, trained, '--input', str(short), '--out',
                   str(tmp_path / 'o2'))
    assert 'T_in=10' in str(info.value)
    np.save(tmp_path / 'small.npy', test_windows[0, :10, :, :32, :32])
    with pytest.raises(ValueError, match='trained on 64x64') as info:
        infer_here(monkeypatch, trained, '--input',
                   str(tmp_path / 'small.npy'), '--out', str(tmp_path / 'o3'),
                   '--layout', 'TCHW')
    assert '32x32' in str(info.value)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        infer_here(monkeypatch, (trained[0], str(tmp_path / 'nope.pth')),
                   '--input', str(short), '--out', str(tmp_path / 'o4'))
    assert not any((tmp_path / name).exists()
                   for name in ('o1', 'o2', 'o3', 'o4'))


def test_output_frames_forecasts_past_t_out(trained, model, test_windows,
                                            tmp_path, monkeypatch, capsys):
    sequence = test_windows[1, :10, 0]  # (T_in, H, W) uint8
    np.save(tmp_path / 'seq.npy', sequence)
    out = tmp_path / 'out'
    infer_here(monkeypatch, trained, '--input', str(tmp_path / 'seq.npy'),
               '--out', str(out), '--output-frames', '15', '--layout', 'THW')
    assert 'Forecast 15 frames (trained for 10: frames after those are ' \
        'extrapolated)' in capsys.readouterr().out
    expected = forecast(model, sequence, output_frames=15, layout='THW')
    assert expected.shape == (15, 64, 64)
    np.testing.assert_array_equal(expected[:10],
                                  forecast(model, sequence, layout='THW'))
    names = sorted(p.name for p in out.iterdir())
    assert names == ['forecast.gif'] + [f'pred_{t:02d}.png'
                                        for t in range(15)]
    np.testing.assert_array_equal(
        np.asarray(Image.open(out / 'pred_14.png')), expected[14])
    frames, _, _ = read_gif(out / 'forecast.gif')
    assert len(frames) == 10 + 15
    with pytest.raises(ValueError, match='--output-frames must be at least'):
        infer_here(monkeypatch, trained, '--input', str(tmp_path / 'seq.npy'),
                   '--out', str(out), '--output-frames', '0')
