"""A checkpoint whose unpickling would run code is refused by every tool.

The crafted file creates a marker file when unpickled by an unsafe loader.
Every way a user can hand a checkpoint to stpredict - ``load_from``,
``--resume PATH``, ``--resume auto``, ``tools/test.py``, the model
converter, the OpenSTL converter, ``tools/infer.py`` (the forecasting API
has its own test in ``tests/test_apis/test_inference.py``) - must refuse
it with a clear error, and the marker must never appear.
"""
import os.path as osp
import shutil

import numpy as np
import pytest
from tool_runner import FAST_OPTIONS, PYTHON, TINY_CONFIG, run_tool

from stpredict.testing import write_malicious_checkpoint


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    write_malicious_checkpoint(path, marker, meta=dict(iter=5, epoch=0),
                               state_dict={})
    return path, marker


def resume_auto_work_dir(tmp_path, evil_path):
    work_dir = tmp_path / 'run'
    work_dir.mkdir()
    shutil.copy(evil_path, work_dir / 'iter_5.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_5.pth'))
    return work_dir


@pytest.mark.parametrize('path', [
    'load_from', 'resume', 'resume_auto', 'test', 'export_target',
    'openstl2stpredict', 'infer'
])
def test_every_tool_refuses_it(tmp_path, evil, path):
    evil_path, marker = evil
    work_dir = tmp_path / 'work'
    options = ['--cfg-options', 'train_cfg.max_iters=2', *FAST_OPTIONS]
    named = str(evil_path)
    if path == 'load_from':
        args = ['tools/train.py', TINY_CONFIG, '--work-dir', str(work_dir),
                *options, f'load_from={evil_path}']
    elif path == 'resume':
        args = ['tools/train.py', TINY_CONFIG, '--work-dir', str(work_dir),
                '--resume', str(evil_path), *options]
    elif path == 'resume_auto':
        work_dir = resume_auto_work_dir(tmp_path, evil_path)
        named = str(work_dir / 'iter_5.pth')
        args = ['tools/train.py', TINY_CONFIG, '--work-dir', str(work_dir),
                '--resume', 'auto', *options]
    elif path == 'test':
        args = ['tools/test.py', TINY_CONFIG, str(evil_path), '--work-dir',
                str(work_dir), '--cfg-options', *FAST_OPTIONS]
    elif path == 'export_target':
        args = ['tools/model_converters/export_target.py', TINY_CONFIG,
                str(evil_path), str(tmp_path / 'exported')]
    elif path == 'openstl2stpredict':
        args = ['tools/model_converters/openstl2stpredict.py',
                str(evil_path), str(tmp_path / 'converted'),
                '--patch-size', '4', '--aft-seq-length', '10']
    else:
        frames = tmp_path / 'frames.npy'
        np.save(frames, np.zeros((10, 64, 64), np.uint8))
        args = ['tools/infer.py', TINY_CONFIG, str(evil_path), '--input',
                str(frames), '--out', str(tmp_path / 'forecast')]
    code, log = run_tool(PYTHON, *args, check=False)
    assert code != 0
    assert 'UnsafeCheckpointError' in log
    assert f'Refused to load checkpoint "{named}"' in log
    assert 'pathlib' in log  # the refused global is named
    assert not marker.exists()
    # nothing was trained or written from it
    assert not osp.exists(osp.join(str(work_dir), 'iter_2.pth'))
