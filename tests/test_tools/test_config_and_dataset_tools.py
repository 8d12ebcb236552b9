"""tools/misc/print_config.py, tools/misc/list_modules.py,
tools/analysis_tools/browse_dataset.py and the converters' progress bar,
run as a user would."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from tool_runner import PYTHON, REPO_ROOT, TINY_CONFIG, run_tool

from stpredict.registry import DATASETS
from stpredict.utils import register_all_modules
from stpredict.visualization import RADAR_COLORS, dbz_to_rgb

RADAR_CONFIG = 'configs/convlstm/convlstm_4x64_radardwd-5to5.py'
PRINT_CONFIG = 'tools/misc/print_config.py'
LIST_MODULES = 'tools/misc/list_modules.py'
BROWSE = 'tools/analysis_tools/browse_dataset.py'


def load_tool(path):
    """Import a tool script, to call its main() in-process (faster than a
    second subprocess when one run as a user already passed)."""
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', osp.join(REPO_ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('tool', [PRINT_CONFIG, LIST_MODULES, BROWSE])
def test_help(tool):
    _, output = run_tool(PYTHON, tool, '--help')
    assert 'usage:' in output and 'Example' in output


def test_print_config_resolves_bases_and_overrides(tmp_path):
    saved = tmp_path / 'resolved.py'
    _, output = run_tool(PYTHON, PRINT_CONFIG, TINY_CONFIG, '--cfg-options',
                         'model.neck.hidden_channels=7',
                         'train_cfg.max_iters=33', '--save', str(saved))
    # values of the _base_ files (runtime, dataset, model) ...
    assert "default_scope = 'stpredict'" in output
    assert "type='FlyingDigits'" in output and 'num_digits=2' in output
    assert "type='RecurrentPredictor'" in output
    # ... the tiny config's own values and the overrides
    assert 'hidden_channels=7' in output and 'hidden_channels=32' not in output
    assert 'max_iters=33' in output
    resolved = Config.fromfile(str(saved))
    assert '_base_' not in resolved
    assert resolved.model.neck.hidden_channels == 7
    assert resolved.model.neck.cell.type == 'ConvLSTMCell'
    assert resolved.train_dataloader.dataset.type == 'FlyingDigits'


def test_print_config_names_a_missing_file():
    code, output = run_tool(PYTHON, PRINT_CONFIG, 'configs/missing.py',
                            check=False)
    assert code == 1 and '"configs/missing.py" not found' in output


def test_list_modules_lists_components_with_their_docs(capsys):
    _, output = run_tool(PYTHON, LIST_MODULES)
    lines = output.splitlines()
    for name in ('ConvLSTMCell', 'MultiScalePyramid', 'MemoryTransfer',
                 'FlyingDigits', 'SSIM', 'RecurrentPredictor',
                 'PredictionVisualizationHook'):
        assert any(line.split()[:1] == [name] for line in lines), name
    (ssim, ) = [line for line in lines if line.split()[:1] == ['SSIM']]
    assert 'Structural similarity' in ssim
    # each header counts the entries listed under it (the subprocess sees
    # stpredict's own cells, not those other tests register in-process)
    (header, ) = [i for i, line in enumerate(lines)
                  if line.startswith('cells (CELLS, ')]
    count = int(lines[header].split(', ')[1].split()[0])
    listed = 0
    for line in lines[header + 1:]:
        if not line.startswith('  '):
            break
        listed += 1
    assert listed == count >= 14

    assert load_tool(LIST_MODULES).main(['--registry', 'cells']) == 0
    cells = capsys.readouterr().out
    assert 'ConvLSTMCell' in cells and 'TMUCell' in cells
    assert 'FlyingDigits' not in cells and 'necks (' not in cells


def read_rgb(path):
    image = cv2.imread(str(path))
    assert image is not None, f'{path} is not a readable image'
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def test_browse_dataset_draws_flying_digits(tmp_path):
    out = tmp_path / 'browse'
    _, output = run_tool(
        PYTHON, BROWSE, TINY_CONFIG, '--split', 'val', '--num', '3',
        '--start', '1', '--out', str(out), '--cfg-options',
        'val_dataloader.dataset.num_sequences=6')
    assert 'FlyingDigits (val): 6 sequences' in output
    assert sorted(p.name for p in out.iterdir()) == [
        'val_1.png', 'val_2.png', 'val_3.png'
    ]
    # rows: 10 observed and 10 future frames of 64x64, 2 pixels apart
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(REPO_ROOT, TINY_CONFIG))
    cfg.val_dataloader.dataset.num_sequences = 6
    with DefaultScope.overwrite_default_scope('stpredict'):
        dataset = DATASETS.build(cfg.val_dataloader.dataset)
    for index in (1, 2, 3):
        image = read_rgb(out / f'val_{index}.png')
        assert image.shape == (2 * 66 - 2, 10 * 66 - 2, 3)
        frames = dataset[index]['inputs'][:, 0].numpy()  # uint8 [20, H, W]
        assert frames[0].max() > 200  # digits, not an empty frame
        # the first observed and the first future frame, in gray
        assert np.array_equal(image[:64, :64, 0], frames[0])
        assert np.array_equal(image[66:130, :64, 1], frames[10])
        assert (image[64:66] == 128).all()  # the gap between the rows


def test_browse_dataset_uses_the_radar_palette(tmp_path):
    root = tmp_path / 'radar'
    yy, xx = np.mgrid[:16, :16]
    frames = np.stack([
        np.clip(260 * np.exp(-((yy - 8)**2 + (xx - t)**2) / 20), 0,
                255).astype(np.uint8) for t in range(10)
    ])
    for split in ('train', 'val', 'test'):
        (root / split).mkdir(parents=True)
        np.save(root / split / 'storm.npy', frames)
    out = tmp_path / 'browse'
    options = [f'test_dataloader.dataset.{key}' for key in (
        f'data_root={root}', 'image_size=16', 'interval=1')]
    run_tool(PYTHON, BROWSE, RADAR_CONFIG, '--split', 'test', '--num', '5',
             '--out', str(out), '--cfg-options', *options)
    # one window of 5 + 5 frames
    assert [p.name for p in out.iterdir()] == ['test_0.png']
    image = read_rgb(out / 'test_0.png')
    assert image.shape == (2 * 18 - 2, 5 * 18 - 2, 3)
    # the config's value_transform: dBZ = 70 * pixel / 255 - 10
    for t in range(5):
        expected = dbz_to_rgb(70.0 * frames[t] / 255.0 - 10.0)
        assert np.array_equal(image[:16, t * 18:t * 18 + 16], expected)
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    assert (255, 255, 255) in colours
    assert len(colours & set(RADAR_COLORS)) >= 5
    # --cmap gray overrides the config
    assert load_tool(BROWSE).main([
        osp.join(REPO_ROOT, RADAR_CONFIG), '--split', 'test', '--num', '1',
        '--out', str(out), '--cmap', 'gray', '--cfg-options', *options
    ]) == 0
    gray = read_rgb(out / 'test_0.png')
    assert np.array_equal(gray[:16, :16, 0], frames[0])


def test_browse_dataset_explains_missing_data(tmp_path, capsys):
    code = load_tool(BROWSE).main([
        osp.join(REPO_ROOT, RADAR_CONFIG), '--split', 'val', '--out',
        str(tmp_path), '--cfg-options',
        f'val_dataloader.dataset.data_root={tmp_path / "nowhere"}'
    ])
    error = capsys.readouterr().err
    assert code == 1
    assert 'Cannot build the val dataset' in error and 'not found' in error
    assert 'dataset_converters/radar_echo.py' in error  # how to make it


def test_converter_shows_progress(tmp_path):
    raw = tmp_path / 'raw'
    for name in ('a', 'b', 'c'):
        (raw / name).mkdir(parents=True)
        for t in range(2):
            np.save(raw / name / f'{t}.npy', np.full((4, 4), 20.0 + t))
    _, output = run_tool(PYTHON, 'tools/dataset_converters/radar_echo.py',
                         str(raw), str(tmp_path / 'out'), '--value-range',
                         '-10', '60')
    assert 'radar_echo: 3 item(s)' in output and '3/3' in output
    assert 'Wrote 3 of 3 sequence(s)' in output
    assert osp.isfile(tmp_path / 'out' / 'c.npy')
