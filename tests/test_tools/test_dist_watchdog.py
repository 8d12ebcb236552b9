"""A frozen rank makes the others fail after the collective timeout with a
message naming it (it used to hang them without a word)."""
import json
import os
import os.path as osp
import signal
import subprocess
import time
from types import SimpleNamespace

import pytest
import torch
from tool_runner import FAST_OPTIONS, REPO_ROOT, TINY_CONFIG

from stpredict.engine.hooks import DistWatchdogHook, explain_collective_failure
from stpredict.engine.hooks.dist_watchdog_hook import HEARTBEAT_DIR

HERE = osp.dirname(osp.abspath(__file__))
TIMEOUT = RuntimeError('[gloo/transport/tcp/unbound_buffer.cc:78] Timed out '
                       'waiting 8000ms for recv operation to complete')


def beat(folder, rank, age, now, iteration=4, run='20261202_010000'):
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, f'rank{rank}.json'), 'w') as file:
        json.dump(dict(rank=rank, world_size=3, pid=100 + rank, host='node',
                       run=run, iter=iteration, interval=1.0,
                       time=now - age), file)


def test_explanation_names_the_silent_ranks(tmp_path):
    now = 1000.0
    folder = tmp_path / HEARTBEAT_DIR
    beat(folder, 0, 0.5, now)
    beat(folder, 1, 40.0, now, iteration=3)
    # a file of an older run of the same work dir is ignored
    beat(folder, 2, 500.0, now, run='20261201_000000')
    message = explain_collective_failure(TIMEOUT, str(tmp_path), 8, now)
    assert message.startswith('A distributed collective timed out after 8 s')
    assert 'rank 1 (pid 101 on host node) at iteration 3, silent for 40 s' \
        in message
    assert 'rank 2, which never wrote a heartbeat' in message
    assert 'rank 0' not in message
    assert 'env_cfg.dist_cfg.timeout' in message


def test_no_silent_rank_and_other_errors(tmp_path):
    now = 1000.0
    beat(tmp_path / HEARTBEAT_DIR, 0, 0.5, now)
    with open(tmp_path / HEARTBEAT_DIR / 'rank0.json') as file:
        record = json.load(file)
    record['world_size'] = 1
    with open(tmp_path / HEARTBEAT_DIR / 'rank0.json', 'w') as file:
        json.dump(record, file)
    message = explain_collective_failure(TIMEOUT, str(tmp_path), 8, now)
    assert 'every rank kept its heartbeat' in message
    assert explain_collective_failure(ValueError('bad shape'),
                                      str(tmp_path)) is None
    assert explain_collective_failure(TIMEOUT, str(tmp_path / 'x')) is None


def test_heartbeat_thread(tmp_path, monkeypatch):
    from stpredict.engine.hooks import dist_watchdog_hook
    monkeypatch.setattr(dist_watchdog_hook, 'get_world_size', lambda: 2)
    monkeypatch.setattr(dist_watchdog_hook, 'get_rank', lambda: 1)
    hook = DistWatchdogHook(interval=0.05)
    runner = SimpleNamespace(work_dir=str(tmp_path), timestamp='t', iter=0)
    hook.before_train(runner)
    try:
        runner.iter = 6
        hook.before_train_iter(runner, 0)
        path = tmp_path / HEARTBEAT_DIR / 'rank1.json'
        deadline = time.time() + 10
        while time.time() < deadline:
            if path.exists() and json.loads(path.read_text())['iter'] == 7:
                break
            time.sleep(0.02)
        record = json.loads(path.read_text())
        assert record['pid'] == os.getpid() and record['iter'] == 7
        assert time.time() - record['time'] < 5
    finally:
        hook.after_run(runner)
    assert not (tmp_path / HEARTBEAT_DIR).exists()
    with pytest.raises(ValueError, match='interval'):
        DistWatchdogHook(interval=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU (gloo) run')
def test_frozen_rank_is_named(tmp_path):
    work_dir = str(tmp_path)
    bin_dir = osp.dirname(os.sys.executable)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
               PORT='29541', STPREDICT_TEST_ITER_SLEEP='0.2',
               PYTHONPATH=HERE + os.pathsep + os.environ.get('PYTHONPATH',
                                                             ''),
               PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''))
    process = subprocess.Popen(
        ['bash', 'tools/dist_train.sh', TINY_CONFIG, '2', '--work-dir',
         work_dir, '--cfg-options', *FAST_OPTIONS, 'train_cfg.max_iters=60',
         'train_cfg.val_interval=100', 'env_cfg.dist_cfg.timeout=4',
         'custom_imports.imports=[crash_injection]'],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    frozen = None
    lines = []
    try:
        heartbeat = osp.join(work_dir, HEARTBEAT_DIR, 'rank1.json')
        deadline = time.time() + 180
        while frozen is None:
            assert process.poll() is None and time.time() < deadline
            try:
                with open(heartbeat) as file:
                    record = json.load(file)
                if record['iter'] >= 2:
                    frozen = record['pid']
            except (OSError, ValueError):
                time.sleep(0.05)
        os.kill(frozen, signal.SIGSTOP)
        for line in process.stdout:
            lines.append(line)
            if 'CollectiveTimeoutError: ' in line:
                break
    finally:
        if frozen is not None:
            os.kill(frozen, signal.SIGKILL)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log = ''.join(lines)
    assert f'the other ranks waited for rank 1 (pid {frozen}' in log, \
        log[-3000:]
    assert 'timed out after 4 s' in log


def test_timeout_is_validated_and_has_a_default():
    from mmengine.config import Config

    from stpredict.utils.distributed import (DEFAULT_COLLECTIVE_TIMEOUT,
                                             prepare_launcher)
    cfg = Config(dict(launcher='pytorch', env_cfg=dict(
        dist_cfg=dict(backend='gloo', timeout='soon'))))
    with pytest.raises(ValueError, match="timeout='soon': the collective"):
        prepare_launcher(cfg)
    cfg = Config(dict(launcher='slurm', env_cfg=dict(dist_cfg=dict())))
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='needs GPUs'):
            prepare_launcher(cfg)
    assert cfg.env_cfg.dist_cfg.timeout == DEFAULT_COLLECTIVE_TIMEOUT
