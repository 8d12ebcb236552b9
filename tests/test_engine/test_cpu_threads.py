"""The default CPU thread count of tools/train.py and tools/test.py."""
import pytest
import torch

from stpredict.engine import cpu_threads
from stpredict.engine.metric_logger_hook import MetricLoggerHook


@pytest.fixture
def no_env(monkeypatch):
    for key in ('OMP_NUM_THREADS', 'LOCAL_WORLD_SIZE',
                'SLURM_NTASKS_PER_NODE'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(cpu_threads, 'physical_core_count', lambda: 8)


def test_default_is_physical_cores_per_local_process(no_env, monkeypatch):
    assert cpu_threads.choose_cpu_threads() == (8, '8 physical cores')
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '3')
    count, reason = cpu_threads.choose_cpu_threads()
    assert count == 2 and '3 local processes' in reason
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '16')
    assert cpu_threads.choose_cpu_threads()[0] == 1


def test_flag_then_environment(no_env, monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '3')
    assert cpu_threads.choose_cpu_threads() == (3, 'OMP_NUM_THREADS=3')
    assert cpu_threads.choose_cpu_threads(1) == (1, '--threads')
    with pytest.raises(ValueError, match='--threads'):
        cpu_threads.choose_cpu_threads(0)
    monkeypatch.setenv('OMP_NUM_THREADS', 'all')
    with pytest.raises(ValueError, match='OMP_NUM_THREADS'):
        cpu_threads.choose_cpu_threads()


def test_setup_sets_torch_and_says_why(no_env, monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(cpu_threads, 'busy_hint', lambda threads: '')
    try:
        message = cpu_threads.setup_cpu_threads(1)
        assert torch.get_num_threads() == 1
        assert message.startswith('CPU threads: 1 per process (--threads')
    finally:
        torch.set_num_threads(before)


def test_busy_machine_hint(monkeypatch):
    monkeypatch.setattr(cpu_threads, 'usable_cpus', lambda: {0, 1})
    monkeypatch.setattr(cpu_threads.os, 'getloadavg', lambda: (2.5, 0, 0))
    assert '--threads 1' in cpu_threads.busy_hint(2)
    assert cpu_threads.busy_hint(1) == ''
    monkeypatch.setattr(cpu_threads.os, 'getloadavg', lambda: (0.2, 0, 0))
    assert cpu_threads.busy_hint(2) == ''


def test_physical_cores_are_counted():
    cores = cpu_threads.physical_core_count()
    assert 1 <= cores <= len(cpu_threads.usable_cpus())


def test_progress_every_few_batches():
    hook = MetricLoggerHook(interval=20)
    # a 16-batch test logs every 4 batches; long passes keep the interval
    assert hook.progress_interval(16) == 4
    assert hook.progress_interval(3) == 1
    assert hook.progress_interval(1000) == 20
