"""tools/analysis_tools/analyze_logs.py on hand-written scalars.json logs:
exact tables, a PNG of the expected size, and clear errors."""
import importlib.util
import json
import os.path as osp

import cv2
import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'analyze_logs.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('analyze_logs', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


analyze_logs = load_tool()


def train_record(iteration, loss, time, data_time=0.1):
    return dict(lr=0.001, data_time=data_time, loss=loss, time=time,
                iter=iteration, step=iteration)


def write_log(work_dir, session, records):
    path = work_dir / session / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))
    return path


@pytest.fixture
def runs(tmp_path):
    """Two runs of 4 iterations validated at 2 and 4; run_a was resumed."""
    run_a, run_b = tmp_path / 'run_a', tmp_path / 'run_b'
    # an older session of run_a, interrupted after iteration 3
    write_log(run_a, '20250101_000000', [
        train_record(1, 9.0, 5.0),
        train_record(2, 8.0, 5.0),
        dict(mse_per_frame=300.0, ssim=0.1, step=2),
        train_record(3, 7.0, 5.0),
    ])
    # resumed from iteration 2: the newest session
    write_log(run_a, '20250102_000000', [
        train_record(3, 6.0, 0.9, 0.2),
        train_record(4, 5.0, 0.4, 0.2),
        dict(mse_per_frame=150.0, ssim=0.45,
             **{'val/time': 0.05, 'val/data_time': 0.01}, step=4),
    ])
    write_log(run_b, '20250103_000000', [
        train_record(1, 9.0, 0.5),
        train_record(2, 8.0, 0.3),
        dict(mse_per_frame=180.0, ssim=0.5, step=2),
        train_record(3, 7.0, 0.9, 0.2),
        train_record(4, 6.0, 0.4, 0.2),
        dict(mse_per_frame=190.0, ssim=0.4, step=4),
    ])
    return str(run_a), str(run_b)


def table(capsys):
    """The printed table as rows of cells (header and rule dropped)."""
    lines = capsys.readouterr().out.strip().splitlines()
    assert set(lines[1]) <= {'-', '+'}
    return [[cell.strip() for cell in line.split('|')] for line in lines[2:]]


def test_compare_final_and_best(runs, capsys):
    assert analyze_logs.main(['compare', *runs]) == 0
    assert table(capsys) == [
        # run_a: its newest session only (one validation)
        ['mse_per_frame', 'run_a', '1', '150.0000', '150.0000', '4'],
        ['mse_per_frame', 'run_b', '2', '190.0000', '180.0000', '2'],
        ['ssim', 'run_a', '1', '0.4500', '0.4500', '4'],
        # larger SSIM is better
        ['ssim', 'run_b', '2', '0.4000', '0.5000', '2'],
    ]


def test_compare_all_sessions_of_a_resumed_run(runs, capsys):
    assert analyze_logs.main(['compare', runs[0], '--all-sessions',
                              '--keys', 'mse_per_frame', 'loss',
                              '--legend', 'A']) == 0
    assert table(capsys) == [
        ['mse_per_frame', 'A', '2', '150.0000', '150.0000', '4'],
        # iteration 3 from the resumed session (6.0), not the lost one (7.0)
        ['loss', 'A', '4', '5.0000', '5.0000', '4'],
    ]
    run = analyze_logs.load_run(runs[0], all_sessions=True)
    assert run.train['loss'] == [(1, 9.0), (2, 8.0), (3, 6.0), (4, 5.0)]
    assert run.val['val/time'] == [(4, 0.05)]


def test_time_per_iteration(runs, capsys):
    assert analyze_logs.main(['time', runs[1]]) == 0
    # times 0.5, 0.3, 0.9, 0.4 at iterations 1-4; data_time 0.1 0.1 0.2 0.2
    assert table(capsys) == [[
        'run_b', '4', '4', '0.5250', '0.4500', '0.9000', '3', '0.3000', '2',
        '0.1500'
    ]]


def test_plot_curve_writes_a_png_of_the_expected_size(runs, tmp_path,
                                                      capsys):
    out = tmp_path / 'plots' / 'curves.png'
    assert analyze_logs.main(['plot_curve', *runs, '--keys', 'loss',
                              'mse_per_frame', '--out', str(out)]) == 0
    assert 'wrote' in capsys.readouterr().out
    image = cv2.imread(str(out))
    assert image.shape == (400, 2 * 640, 3)  # two panels of 640 x 400
    assert (image == 255).all(axis=-1).mean() > 0.5  # white background
    assert len({tuple(p) for p in image.reshape(-1, 3)}) > 20  # drawn
    # by default: loss and every validation metric, here 3 panels, 2 a row
    default = tmp_path / 'default.png'
    assert analyze_logs.main(['plot_curve', *runs, '--out', str(default),
                              '--panel-size', '300', '200']) == 0
    assert cv2.imread(str(default)).shape == (2 * 200, 2 * 300, 3)


def test_plot_curve_unknown_key(runs, tmp_path, capsys):
    code = analyze_logs.main(['plot_curve', runs[1], '--keys', 'msse',
                              '--out', str(tmp_path / 'x.png')])
    assert code == 1
    error = capsys.readouterr().err
    assert "no run logged 'msse'" in error and 'mse_per_frame' in error


def test_validations_at_step_0_are_placed_after_their_training_record(
        tmp_path, capsys):
    # what mmengine's LoggerHook (log_metric_by_epoch=True) writes
    write_log(tmp_path / 'old', '20250101_000000', [
        train_record(2, 9.0, 0.5),
        dict(mse_per_frame=200.0, time=0.01, step=0),
        train_record(4, 8.0, 0.5),
        dict(mse_per_frame=100.0, time=0.01, step=0),
    ])
    run = analyze_logs.load_run(str(tmp_path / 'old'))
    assert run.val['mse_per_frame'] == [(2, 200.0), (4, 100.0)]
    # their timings are not training times
    assert run.train['time'] == [(2, 0.5), (4, 0.5)]
    assert '2 validations were logged at step 0' in capsys.readouterr().err


def test_damaged_logs(tmp_path, capsys):
    path = write_log(tmp_path / 'run', '20250101_000000', [
        train_record(1, 9.0, 0.5), train_record(2, 8.0, 0.5)])
    with open(path, 'a') as file:
        file.write('{"loss": 7.0, "ite')  # killed while writing
    run = analyze_logs.load_run(str(tmp_path / 'run'))
    assert run.train['loss'] == [(1, 9.0), (2, 8.0)]
    assert 'skipped its damaged last line 3' in capsys.readouterr().err
    path.write_text('{"loss": 1\nnot json\n{"loss": 2, "iter": 1}\n')
    with pytest.raises(analyze_logs.LogError, match='line 1 is not JSON'):
        analyze_logs.load_run(str(path))
    assert analyze_logs.main(['time', str(tmp_path / 'missing')]) == 1
    error = capsys.readouterr().err
    assert 'does not exist' in error and 'tools/train.py' in error
