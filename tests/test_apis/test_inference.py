"""The forecasting API: init_forecaster and forecast."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from stpredict.apis import (DEFAULT_LAYOUT, check_layout, forecast,
                            forecast_length, init_forecaster, model_frame_size,
                            observed_frames)
from stpredict.testing import write_malicious_checkpoint
from stpredict.utils.checkpoint import UnsafeCheckpointError

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TINY_CONFIG = osp.join(
    REPO_ROOT, 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py')
KF_CONFIG = osp.join(
    REPO_ROOT, 'configs/tmu/kf_convlstm_2x32_flying3digits-10to10_cpu.py')
SMALL = {'model.neck.hidden_channels': 8}


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A checkpoint of the tiny ConvLSTM (8 channels) with random weights
    whose head is scaled up so that the forecasts are far from constant."""
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='random initial weights'):
        model = init_forecaster(TINY_CONFIG, cfg_options=SMALL)
    with torch.no_grad():
        model.head.weight.mul_(20.0)
    path = str(tmp_path_factory.mktemp('tiny') / 'tiny.pth')
    # the frames' meta as FrameMetaHook saves it
    meta = dict(iter=2, frames=dict(height=64, width=64, channels=1))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return path, model.state_dict()


@pytest.fixture(scope='module')
def model(tiny):
    return init_forecaster(TINY_CONFIG, tiny[0], cfg_options=SMALL)


@pytest.fixture(scope='module')
def frames():
    """Two sequences of 20 uint8 gray frames [B, T, H, W] with structure
    (moving squares on noise)."""
    rng = np.random.default_rng(0)
    out = rng.integers(0, 40, size=(2, 20, 64, 64)).astype(np.uint8)
    for b in range(2):
        for t in range(20):
            top = 5 + 2 * t + 7 * b
            out[b, t, top:top + 12, 10 + t:22 + t] = 230
    return out


def test_init_forecaster_loads_weights_in_eval_mode(tiny, model):
    _, weights = tiny
    assert not model.training
    assert model.cfg.model.neck.hidden_channels == 8
    assert model_frame_size(model) == (64, 64)  # the checkpoint's meta
    assert model.frames_meta['source'] == 'checkpoint'
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, weights[key], rtol=0, atol=0)
    assert all(p.device.type == 'cpu' for p in model.parameters())


def test_refuses_malicious_checkpoint_and_runs_nothing(tmp_path, tiny):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    _, weights = tiny
    write_malicious_checkpoint(path, marker, state_dict=weights)

    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        init_forecaster(TINY_CONFIG, str(path), cfg_options=SMALL)
    assert not marker.exists()


def test_missing_files_and_mismatched_weights(tmp_path, tiny):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        init_forecaster(TINY_CONFIG, str(tmp_path / 'nope.pth'))
    with pytest.raises(FileNotFoundError, match='Config file'):
        init_forecaster(str(tmp_path / 'nope.py'), tiny[0])
    # trained with hidden_channels=8, built with the config's 32
    with pytest.raises(ValueError, match='of another shape') as info:
        init_forecaster(TINY_CONFIG, tiny[0])
    assert 'work dir' in str(info.value)


@pytest.mark.parametrize('dtype', ['uint8', 'float32'])
def test_every_layout_gives_the_same_forecast(model, frames, dtype):
    batch = frames[:, :10]
    if dtype == 'float32':
        batch = batch.astype(np.float32) / np.float32(255)
    reference = forecast(model, batch, layout='BTHW')
    assert reference.shape == (2, 10, 64, 64)
    assert reference.dtype == np.dtype(dtype)
    assert reference.std() > (1.0 if dtype == 'uint8' else 0.004)
    # one sequence runs as a batch of one (float sums differ in the last
    # bits between batch sizes, so compare like with like)
    single = forecast(model, batch[:1], layout='BTHW')[0]
    cases = {
        'THW': (batch[0], single, 'THW'),
        'THWC': (batch[0][..., None], single[..., None], 'THWC'),
        'default': (batch[0][..., None], single[..., None], None),
        'TCHW': (batch[0][:, None], single[:, None], 'TCHW'),
        'BTHWC': (batch[..., None], reference[..., None], 'BTHWC'),
        'BTCHW': (batch[:, :, None], reference[:, :, None], 'BTCHW'),
        'tensor': (torch.from_numpy(batch[0]), single, 'THW'),
        'list': (list(batch[0]), single, 'THW'),
    }
    for name, (given, expected, layout) in cases.items():
        kwargs = {} if layout is None else dict(layout=layout)
        np.testing.assert_array_equal(
            forecast(model, given, **kwargs), expected, name)
    if dtype == 'float32':  # uint8 forecasts are the rounded float ones
        uint8 = forecast(model, frames[:, :10], layout='BTHW')
        np.testing.assert_array_equal(
            uint8, np.round(reference * 255).astype(np.uint8))


def test_forecast_equals_the_model_prediction_in_batches(model, frames):
    batch = torch.from_numpy(frames[:, :10, None])
    with torch.no_grad():
        expected = torch.stack([
            sample.pred_frames for sample in model.predict(
                model.data_preprocessor(dict(inputs=batch))['inputs'])
        ])
    pred = forecast(model, batch.float() / 255, batch_size=1,
                    layout='BTCHW')
    np.testing.assert_allclose(pred, expected.numpy(), rtol=0, atol=1e-6)


def test_future_frames_are_never_read(model, frames):
    first = forecast(model, frames[:, :10], layout='BTHW')
    # a full window (observed + future): the first T_in frames are used
    np.testing.assert_array_equal(
        forecast(model, frames, layout='BTHW'), first)
    changed = frames.copy()
    changed[:, 10:] = 255 - changed[:, 10:]
    np.testing.assert_array_equal(
        forecast(model, changed, layout='BTHW'), first)
    # take='last' observes the most recent T_in frames
    np.testing.assert_array_equal(
        forecast(model, frames[:, :15], layout='BTHW', take='last'),
        forecast(model, frames[:, 5:15], layout='BTHW'))


def test_forecast_past_t_out(tiny, model, frames):
    plain = forecast(model, frames[:, :10], layout='BTHW')
    assert plain.shape == (2, 10, 64, 64)
    longer = forecast(
        model, frames[:, :10], layout='BTHW', output_frames=25)
    assert longer.shape == (2, 25, 64, 64) and longer.dtype == np.uint8
    # the same unroll, continued: the first T_out frames are the plain ones
    np.testing.assert_array_equal(longer[:, :10], plain)
    assert not (longer[:, 10:] == longer[:, 9:10]).all()  # still moving
    shorter = forecast(model, frames[:, :10], layout='BTHW',
                       output_frames=3, batch_size=1)
    np.testing.assert_array_equal(shorter, plain[:, :3])
    # the same as a model built for 25 frames
    built = init_forecaster(TINY_CONFIG, tiny[0], cfg_options={
        **SMALL, 'model.output_frames': 25})
    np.testing.assert_array_equal(
        forecast(built, frames[:, :10], layout='BTHW'), longer)
    # the model keeps its trained T_out
    assert model.output_frames == 10
    np.testing.assert_array_equal(
        forecast(model, frames[:, :10], layout='BTHW'), plain)
    for wrong in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match='output_frames must be a '
                           'positive integer'):
            forecast(model, frames[:, :10], layout='BTHW',
                     output_frames=wrong)
    assert model.output_frames == 10
    with pytest.raises(TypeError, match='has no output_frames'):
        with forecast_length(torch.nn.Identity(), 20):
            pass
    # the trained T_out comes back after an error too
    with pytest.raises(RuntimeError):
        with forecast_length(model, 30) as length:
            assert length == model.output_frames == 30
            raise RuntimeError
    assert model.output_frames == 10


def test_colour_frames_are_converted(model, frames):
    gray = frames[0, :10]
    rgb = np.repeat(gray[..., None], 3, axis=-1)
    rgba = np.concatenate([rgb, np.full_like(rgb[..., :1], 255)], axis=-1)
    expected = forecast(model, gray, layout='THW')
    # the model's one channel comes back on the input's channel axis
    np.testing.assert_array_equal(forecast(model, rgb), expected[..., None])
    np.testing.assert_array_equal(
        forecast(model, rgba.transpose(0, 3, 1, 2), layout='TCHW'),
        expected[:, None])
    observed, layout = observed_frames(model, rgb)
    assert layout == 'THWC' and tuple(observed.shape) == (1, 10, 1, 64, 64)
    with pytest.raises(ValueError, match='2 channel'):
        forecast(model, np.zeros((10, 2, 64, 64), np.uint8), layout='TCHW')


@pytest.mark.parametrize('shape,layout,expected', [
    # (shape, stated layout, what the error must say)
    ((10, 64, 64), 'THWC', ["(10, 64, 64)", "'THWC'", "['THW']"]),
    ((2, 10, 64, 64, 1), 'THWC', ['5 dimensions', "['BTHWC', 'BTCHW']"]),
    ((10, 1, 64, 64), 'THWC', ['64 channels', "'THWC'", "['TCHW', 'BTHW']"]),
    ((10, 64, 64, 7), 'THWC', ['7 channels', "['BTHW']"]),
    ((10, 64, 64), 'HWT', ['layout must be one of']),
])
def test_a_shape_that_does_not_fit_the_layout_is_an_error(
        shape, layout, expected):
    with pytest.raises(ValueError) as info:
        check_layout(shape, layout, channels=1)
    for text in expected:
        assert text in str(info.value), (text, str(info.value))
    # the layout the error suggests first is accepted
    assert check_layout((10, 64, 64, 3), 'THWC', channels=1) == 'THWC'
    assert check_layout((10, 64, 64, 5), 'THWC', channels=5) == 'THWC'


def test_arrays_are_read_in_the_stated_layout_only(model, frames):
    gray = frames[0, :10]  # (T, H, W)
    assert DEFAULT_LAYOUT == 'THWC'
    with pytest.raises(ValueError, match=r"layout='THW'|\['THW'\]"):
        forecast(model, gray)  # THWC by default: nothing is guessed
    # (8, 4, 64, 64) reads as 8 sequences of 4 frames or as 8 frames of 4
    # channels: the stated layout decides, without a rule in between
    observed, layout = observed_frames(model, frames[:, :10], layout='BTHW')
    assert layout == 'BTHW' and tuple(observed.shape) == (2, 10, 1, 64, 64)
    ambiguous = np.zeros((8, 4, 64, 64), np.uint8)
    with pytest.raises(ValueError, match='Got 4 frames'):
        observed_frames(model, ambiguous, layout='BTHW')
    with pytest.raises(ValueError, match='Got 8 frames'):
        observed_frames(model, ambiguous, layout='TCHW')  # RGBA frames


def test_clear_errors(model, frames, tmp_path):
    with pytest.raises(ValueError, match='observes T_in=10') as info:
        forecast(model, frames[0, :7], layout='THW')
    assert 'Got 7 frames' in str(info.value)
    with pytest.raises(ValueError, match='trained on 64x64') as info:
        forecast(model, frames[0, :10, :32, :48], layout='THW')
    assert '32x48' in str(info.value)
    with pytest.raises(ValueError, match=r'lie in \[0, 1\]'):
        forecast(model, frames[0, :10].astype(np.float32), layout='THW')
    with pytest.raises(TypeError, match='int64'):
        forecast(model, frames[0, :10].astype(np.int64), layout='THW')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        forecast(model, str(tmp_path / 'missing.npy'))
    with pytest.raises(ValueError, match='dimensions'):
        forecast(model, frames[0, 0])
    image = tmp_path / 'one.png'
    cv2.imwrite(str(image), frames[0, 0])
    with pytest.raises(ValueError, match='single image'):
        forecast(model, str(image))


def test_paths_npy_and_image_folder(model, frames, tmp_path):
    np.save(tmp_path / 'seq.npy', frames)
    np.testing.assert_array_equal(
        forecast(model, tmp_path / 'seq.npy', layout='BTHW'),
        forecast(model, frames, layout='BTHW'))
    folder = tmp_path / 'frames'
    folder.mkdir()
    for t in range(12):  # 2 < 10 by number, not by text
        cv2.imwrite(str(folder / f'f{t}.png'), frames[0, t])
    np.testing.assert_array_equal(
        forecast(model, str(folder)),
        forecast(model, frames[0, :10, ..., None]))
    np.testing.assert_array_equal(
        forecast(model, str(folder), take='last'),
        forecast(model, frames[0, 2:12, ..., None]))
    few = tmp_path / 'few'
    few.mkdir()
    for t in range(3):
        cv2.imwrite(str(few / f'{t}.png'), frames[0, t])
    with pytest.raises(ValueError, match='holds 3 frame images') as info:
        forecast(model, str(few))
    assert 'T_in=10' in str(info.value)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match='no frame images'):
        forecast(model, str(empty))


def _transfer_checkpoint(tmp_path, weights, progress):
    state = dict(weights)
    state['transfer.progress'] = torch.tensor(progress)
    state['transfer.transforms.0.0.weight'] = torch.zeros(8, 8, 1, 1)
    path = str(tmp_path / f'kf_{progress}.pth')
    torch.save(dict(state_dict=state), path)
    return path


def test_transfer_is_dropped_unless_the_student_needs_it(tmp_path, tiny,
                                                         frames):
    _, weights = tiny
    done = init_forecaster(KF_CONFIG, _transfer_checkpoint(
        tmp_path, weights, 1.0), cfg_options=SMALL)
    assert done.transfer is None and 'transfer' not in done.cfg.model
    plain = init_forecaster(TINY_CONFIG, tiny[0], cfg_options=SMALL)
    np.testing.assert_array_equal(
        forecast(done, frames[:, :10], layout='BTHW'),
        forecast(plain, frames[:, :10], layout='BTHW'))
    # knowledge flow before the end of its curriculum still needs teachers
    with pytest.raises(ValueError, match='keep_transfer=True'):
        init_forecaster(KF_CONFIG, _transfer_checkpoint(
            tmp_path, weights, 0.2), cfg_options=SMALL)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_forecast_on_gpu(tiny, model, frames):  # pragma: no cover
    gpu = init_forecaster(TINY_CONFIG, tiny[0], 'cuda', cfg_options=SMALL)
    assert next(gpu.parameters()).is_cuda
    np.testing.assert_allclose(
        forecast(gpu, frames[:, :10] / np.float32(255), batch_size=1,
                 layout='BTHW'),
        forecast(model, frames[:, :10] / np.float32(255), layout='BTHW'),
        rtol=0,
        atol=1e-4)


def test_frame_size_from_the_config_for_older_checkpoints(tmp_path, tiny):
    _, weights = tiny
    old = str(tmp_path / 'old.pth')  # saved without meta['frames']
    torch.save(dict(state_dict=weights, meta=dict(iter=2)), old)
    default = init_forecaster(TINY_CONFIG, old, cfg_options=SMALL)
    # FlyingDigits draws 64 x 64 frames unless its config says otherwise
    assert default.frames_meta == dict(height=64, width=64, source='config')
    stated = init_forecaster(TINY_CONFIG, old, cfg_options={
        **SMALL, 'test_dataloader.dataset.image_size': 48})
    assert stated.frames_meta == dict(height=48, width=48, source='config')
    with pytest.raises(ValueError, match='trained on 48x48'):
        forecast(stated, np.zeros((10, 64, 64), np.uint8), layout='THW')
    # the checkpoint's meta wins over the config
    new = str(tmp_path / 'new.pth')
    torch.save(dict(state_dict=weights, meta=dict(
        frames=dict(height=32, width=16, channels=1))), new)
    recorded = init_forecaster(TINY_CONFIG, new, cfg_options={
        **SMALL, 'test_dataloader.dataset.image_size': 48})
    assert model_frame_size(recorded) == (32, 16)
    assert forecast(recorded, np.zeros((10, 32, 16), np.uint8),
                    layout='THW').shape == (10, 32, 16)
