"""The model zoo: ``zoo:NAME`` resolved, verified and loaded.

The shipped table and checkpoints are checked as they are; checksum and
name errors use a copy of the table in a temporary folder.
"""
import json
import os.path as osp
import runpy
import shutil
import sys

import numpy as np
import pytest

from stpredict.apis import (forecast, get_zoo_model, init_forecaster,
                            load_model_zoo, resolve_model_files,
                            verify_zoo_checkpoint)
from stpredict.apis.model_zoo import DEFAULT_ZOO_FILE, UnknownZooModelError
from stpredict.utils.atomic_io import read_checksums, sha256_of_file
from stpredict.utils.checkpoint import ChecksumMismatchError

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
NAME = 'convlstm_2x32_flying2digits-10to10_cpu'


def moving_square(frames=10, size=64):
    """uint8 ``[T, H, W]``: a bright square moving down and right."""
    video = np.zeros((frames, size, size), np.uint8)
    for t in range(frames):
        video[t, 8 + 2 * t:22 + 2 * t, 10 + 3 * t:24 + 3 * t] = 255
    return video


@pytest.fixture
def zoo_copy(tmp_path):
    """A repository-like folder with a copy of the table and of the
    checkpoint of ``NAME``: ``(zoo_file, checkpoint copy)``."""
    entry = load_model_zoo()[NAME]
    (tmp_path / 'checkpoints').mkdir()
    copied = tmp_path / entry.checkpoint
    copied.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(entry.checkpoint_path, copied)
    zoo_file = tmp_path / 'checkpoints' / 'zoo.json'
    shutil.copyfile(DEFAULT_ZOO_FILE, zoo_file)
    return str(zoo_file), copied


def test_shipped_table_matches_the_files():
    models = load_model_zoo()
    assert NAME in models and len(models) >= 2
    total = 0
    for name, model in models.items():
        assert osp.isfile(model.config_path), name
        size = osp.getsize(model.checkpoint_path)
        assert size < 2 * 2**20, f'{name}: {size} bytes (keep each < 2 MB)'
        total += size
        # the table, the file and its .sha256 file agree
        assert sha256_of_file(model.checkpoint_path) == model.sha256, name
        assert read_checksums(model.checkpoint_path) == [model.sha256]
        assert set(model.test_metrics) == {'mse', 'mae', 'ssim', 'psnr'}
        assert model.trained_by.startswith('python tools/train.py ' +
                                           model.config)
    assert total < 20 * 2**20


def test_zoo_name_resolves_to_verified_files():
    model = get_zoo_model(f'zoo:{NAME}')
    assert get_zoo_model(NAME) == model
    assert verify_zoo_checkpoint(model) == model.checkpoint_path
    assert resolve_model_files(None, f'zoo:{NAME}') == (
        model.config_path, model.checkpoint_path)
    # zoo:NAME alone in the first place (tools/test.py zoo:NAME)
    assert resolve_model_files(f'zoo:{NAME}', None) == (
        model.config_path, model.checkpoint_path)
    # a given config is kept; plain paths pass through
    assert resolve_model_files('other.py', f'zoo:{NAME}') == (
        'other.py', model.checkpoint_path)
    assert resolve_model_files('a.py', 'b.pth') == ('a.py', 'b.pth')
    with pytest.raises(ValueError, match='No config given'):
        resolve_model_files(None, 'b.pth')


def test_init_forecaster_loads_a_zoo_model():
    model = get_zoo_model(NAME)
    from_zoo = init_forecaster(None, f'zoo:{NAME}')
    from_files = init_forecaster(model.config_path, model.checkpoint_path)
    assert from_zoo.cfg.filename == model.config_path
    frames = moving_square()
    pred = forecast(from_zoo, frames, layout='THW')
    assert pred.shape == (10, 64, 64) and pred.dtype == np.uint8
    np.testing.assert_array_equal(
        pred, forecast(from_files, frames, layout='THW'))
    # a trained model: the forecast is not blank and the square moves on,
    # so the first predicted frame is closer to the last observed one
    # than to the first observed one
    assert pred[0].max() > 100
    first = np.abs(pred[0].astype(int) - frames[0]).mean()
    last = np.abs(pred[0].astype(int) - frames[-1]).mean()
    assert last < first


def test_a_changed_checkpoint_is_refused(zoo_copy):
    zoo_file, copied = zoo_copy
    model = get_zoo_model(NAME, zoo_file)
    assert verify_zoo_checkpoint(model) == str(copied)
    data = bytearray(copied.read_bytes())
    data[-100] ^= 1
    copied.write_bytes(bytes(data))
    actual = sha256_of_file(copied)
    with pytest.raises(ChecksumMismatchError) as error:
        resolve_model_files(None, f'zoo:{NAME}', zoo_file)
    message = str(error.value)
    for part in (str(copied), model.sha256, actual,
                 f'git checkout -- {model.checkpoint}', 'zoo.json'):
        assert part in message
    copied.unlink()
    with pytest.raises(FileNotFoundError, match='git checkout'):
        verify_zoo_checkpoint(model)


def test_an_unknown_name_lists_the_known_ones(zoo_copy):
    zoo_file, _ = zoo_copy
    with pytest.raises(UnknownZooModelError) as error:
        resolve_model_files(None, 'zoo:convlstm_typo', zoo_file)
    message = str(error.value)
    assert '"zoo:convlstm_typo" is not in the model zoo' in message
    for name in load_model_zoo(zoo_file):
        assert f'zoo:{name}' in message


def test_a_table_entry_without_a_field_is_named(zoo_copy):
    zoo_file, _ = zoo_copy
    table = json.load(open(zoo_file))
    del table[NAME]['sha256']
    json.dump(table, open(zoo_file, 'w'))
    with pytest.raises(ValueError, match=f'Entry "{NAME}".*lacks'):
        load_model_zoo(zoo_file)


def test_infer_tool_forecasts_a_users_npy_with_a_zoo_model(
        tmp_path, monkeypatch, capsys):
    frames = moving_square()
    np.save(tmp_path / 'frames.npy', frames)
    script = osp.join(REPO_ROOT, 'tools', 'infer.py')
    monkeypatch.setattr(sys, 'argv', [
        script, f'zoo:{NAME}', '--input',
        str(tmp_path / 'frames.npy'), '--out',
        str(tmp_path / 'out'), '--format', 'npy', '--layout', 'THW'
    ])
    runpy.run_path(script, run_name='__main__')
    assert 'Forecast 10 frames from 10 observed frames' in \
        capsys.readouterr().out
    pred = np.load(tmp_path / 'out' / 'pred.npy')
    assert pred.shape == (10, 64, 64) and pred.dtype == np.uint8
    np.testing.assert_array_equal(
        pred, forecast(init_forecaster(None, f'zoo:{NAME}'), frames,
                       layout='THW'))
    assert (tmp_path / 'out' / 'forecast.gif').is_file()


def test_test_tool_scores_a_zoo_model(tmp_path, monkeypatch):
    script = osp.join(REPO_ROOT, 'tools', 'test.py')
    out = tmp_path / 'metrics.json'
    monkeypatch.setattr(sys, 'argv', [
        script, f'zoo:{NAME}', '--work-dir',
        str(tmp_path), '--out',
        str(out), '--cfg-options', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=4',
        'test_dataloader.dataset.num_sequences=4'
    ])
    runpy.run_path(script, run_name='__main__')
    metrics = json.load(open(out))
    # 4 of the 256 test sequences: near the table's MSE, not equal to it
    table_mse = get_zoo_model(NAME).test_metrics['mse']
    assert 0.3 * table_mse < metrics['mse_per_frame'] < 3 * table_mse
