"""Full runs of tools/train.py and tools/test.py on the tiny config."""
import glob
import hashlib
import json
import os.path as osp

import cv2
import pytest
from tool_runner import FAST_OPTIONS, PYTHON, TINY_CONFIG, run_tool

from stpredict.utils.checkpoint import safe_torch_load


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train 4 iterations, then resume to 6 with --resume."""
    work_dir = str(tmp_path_factory.mktemp('tiny'))
    run_tool(PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', work_dir,
             '--cfg-options', 'train_cfg.max_iters=4', *FAST_OPTIONS)
    first = safe_torch_load(osp.join(work_dir, 'iter_4.pth'))
    _, resume_log = run_tool(
        PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', work_dir,
        '--resume', '--cfg-options', 'train_cfg.max_iters=6', *FAST_OPTIONS)
    return work_dir, first, resume_log


def test_training_saves_checkpoints(trained):
    work_dir, first, _ = trained
    # the tiny config keeps the two newest checkpoints
    assert not osp.exists(osp.join(work_dir, 'iter_2.pth'))
    for name in ('iter_4.pth', 'iter_6.pth', 'last_checkpoint'):
        assert osp.exists(osp.join(work_dir, name)), name
    assert first['meta']['iter'] == 4
    # the default visualisation hook drew every validation: fixed samples
    # and the metric curves
    pictures = {
        osp.basename(p) for p in glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'vis_image', '*.png'))
    }
    assert {'val_0_4.png', 'val_3_4.png', 'val_metric_curves_4.png',
            'val_metric_curves_6.png'} <= pictures
    assert any(k.startswith('neck.cells.0') for k in first['state_dict'])


def test_resume_continues_iteration_optimizer_and_sampling(trained):
    work_dir, first, log = trained
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    final = safe_torch_load(osp.join(work_dir, 'iter_6.pth'))
    assert final['meta']['iter'] == 6
    # Adam's step count continued from the resumed optimiser state
    steps = {int(s['step']) for s in final['optimizer']['state'].values()}
    assert steps == {6}
    # the sampling schedule (eta = 1 - it / 8) continued: the values logged
    # at iterations 4 and 5 follow it
    history = final['message_hub']['log_scalars']['train/sampling_eta']
    values = list(history._log_history)
    assert values[-2:] == pytest.approx([1 - 4 / 8, 1 - 5 / 8])


def test_test_tool_prints_metrics_baseline_and_pictures(trained, tmp_path):
    work_dir, _, _ = trained
    show_dir = tmp_path / 'vis'
    out = tmp_path / 'metrics.json'
    _, log = run_tool(PYTHON, 'tools/test.py', TINY_CONFIG,
                      osp.join(work_dir, 'iter_6.pth'), '--work-dir',
                      str(tmp_path), '--show-dir', str(show_dir),
                      '--num-show', '2', '--out', str(out),
                      '--cfg-options', *FAST_OPTIONS)
    for key in ('mse_per_frame', 'mae_per_frame', 'ssim', 'psnr',
                'mse_per_frame_copy_last'):
        assert f'{key}: ' in log
    metrics = json.loads(out.read_text())
    assert len(metrics['mse_per_frame_curve']) == 10
    # even a barely trained model beats repeating the last observed frame
    assert metrics['mse_per_frame'] < metrics['mse_per_frame_copy_last']
    # the default baselines, scored by the same metrics
    for name in ('zeros', 'train_mean'):
        assert len(metrics[f'mse_per_frame_{name}_curve']) == 10
        assert 0 < metrics[f'ssim_{name}'] < 1
    # the short table: model and baselines, mean and three lead times
    table = log[log.index('Test results'):].splitlines()
    assert [cell.strip() for cell in table[1].split('|')[2:]] == [
        'mean', '+1', '+6', '+10']
    assert [line.split('|')[1].strip() for line in table[3:7]] == [
        'model', 'copy_last', 'zeros', 'train_mean']
    # the curves stay out of the text log
    assert 'mse_per_frame_curve' not in log.split('Iter(test)')[-1]
    provenance = metrics['provenance']
    checkpoint = osp.join(work_dir, 'iter_6.pth')
    with open(checkpoint, 'rb') as file:
        assert provenance['checkpoint_sha256'] == hashlib.sha256(
            file.read()).hexdigest()
    assert provenance['config'] == TINY_CONFIG
    assert provenance['threads'] == 1 and provenance['torch']
    assert provenance['git_commit'] is None or len(
        provenance['git_commit']) == 40
    pictures = sorted(show_dir.iterdir())
    assert len(pictures) == 2
    image = cv2.imread(str(pictures[0]))
    # 4 rows (observed, true, predicted, error) x 10 frames of 64x64, gap 2,
    # with a title band (20), two caption strips (16) and row labels (72)
    assert image.shape == (20 + 2 * 16 + 4 * 66 - 2, 72 + 10 * 66 - 2, 3)
    _, table = run_tool(PYTHON, 'tools/analysis_tools/print_metrics.py',
                        str(out))
    assert 'mse_per_frame' in table and 'copy last frame' in table


def test_test_tool_missing_checkpoint_fails_fast(tmp_path):
    code, log = run_tool(PYTHON, 'tools/test.py', TINY_CONFIG,
                         str(tmp_path / 'missing.pth'), check=False)
    assert code != 0
    assert 'missing.pth" does not exist' in log
    assert 'Load checkpoint' not in log


def test_mismatched_windows_fail_before_training(tmp_path):
    code, log = run_tool(PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir',
                         str(tmp_path), '--cfg-options',
                         'model.output_frames=5', check=False)
    assert code != 0
    assert 'dataset windows must match the model' in log
    assert 'Iter(train)' not in log
