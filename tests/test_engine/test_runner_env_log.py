"""The Runner's environment log names processes, not GPUs, on CPUs."""
import logging
import os.path as osp

import torch
from mmengine.runner import Runner

from stpredict.engine.runner_env_log import (ProcessCountFilter,
                                             patch_runner_env_log)


def test_filter_rewrites_the_gpu_number_line():
    record = logging.LogRecord(
        'mmengine', logging.INFO, __file__, 1,
        '\nRuntime environment:\n    Distributed training: True\n'
        '    GPU number: 2\n', None, None)
    assert ProcessCountFilter().filter(record)
    assert 'GPU number' not in record.getMessage()
    assert '    Processes: 2 (CPU, no GPU)\n' in record.getMessage()
    other = logging.LogRecord('mmengine', logging.INFO, __file__, 1,
                              'Iter(train) [1/2]', None, None)
    assert ProcessCountFilter().filter(other)
    assert other.getMessage() == 'Iter(train) [1/2]'


def test_patch_is_applied_once():
    wrapped = Runner._log_env
    assert wrapped.stpredict_wrapped
    patch_runner_env_log()
    assert Runner._log_env is wrapped


def test_a_cpu_run_logs_its_processes(tmp_path):
    from stpredict.testing.runner_smoke import train_briefly
    if torch.cuda.is_available():  # pragma: no cover - GPU machines
        return
    runner = train_briefly(
        osp.join(osp.dirname(__file__), '..', '..', 'configs', 'convlstm',
                 'convlstm_2x32_flying2digits-10to10_tiny.py'),
        str(tmp_path), iterations=1,
        cfg_options={'model.neck.hidden_channels': 4,
                     'default_hooks.visualization': None})
    (log,) = tmp_path.glob('*/*.log')
    text = log.read_text()
    assert 'Processes: 1 (CPU, no GPU)' in text
    assert 'GPU number' not in text
    assert runner.iter == 1
