"""Crash safety and determinism of tools/train.py (issue: resume exactly).

A run killed with SIGKILL - at a random iteration, or in the middle of
writing a checkpoint - and continued with ``--resume auto`` must end with
the same weights and optimiser state as a run that was never interrupted.
"""
import glob
import json
import os
import os.path as osp
import random
import re
import signal
import subprocess
import time

import pytest
import torch
from tool_runner import FAST_OPTIONS, PYTHON, REPO_ROOT, TINY_CONFIG

from stpredict.utils.checkpoint import safe_torch_load

HERE = osp.dirname(osp.abspath(__file__))
MAX_ITERS = 8
# 6 sequences in batches of 2: the loader restarts every 3 iterations;
# checkpoints every 2 (two kept), validation every 4, scheduled sampling on
OPTIONS = FAST_OPTIONS + [
    f'train_cfg.max_iters={MAX_ITERS}',
    'train_cfg.val_interval=4',
    'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=2',
    'train_dataloader.dataset.num_sequences=6',
    'custom_imports.imports=[crash_injection]',
    'custom_imports.allow_failed_imports=False',
]


def command(work_dir, *extra):
    return [
        PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', work_dir,
        *extra, '--cfg-options', *OPTIONS
    ]


def environment(**extra):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
               PYTHONPATH=HERE + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.update(extra)
    return env


def train(work_dir, *extra, **env):
    result = subprocess.run(
        command(work_dir, *extra), cwd=REPO_ROOT, env=environment(**env),
        capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


def losses(work_dir):
    """Training losses by iteration, from the run's scalars.json files."""
    found = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as file:
            for line in file:
                record = json.loads(line)
                if 'loss' in record:
                    found[record['iter']] = record['loss']
    return found


def final_state(work_dir):
    checkpoint = safe_torch_load(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))
    assert checkpoint['meta']['iter'] == MAX_ITERS
    return checkpoint


def assert_same_training(resumed, reference):
    for key, value in reference['state_dict'].items():
        torch.testing.assert_close(
            resumed['state_dict'][key], value, rtol=1e-5, atol=1e-6,
            msg=lambda m, key=key: f'{key}: {m}')
    for index, state in reference['optimizer']['state'].items():
        other = resumed['optimizer']['state'][index]
        assert int(other['step']) == int(state['step']) == MAX_ITERS
        torch.testing.assert_close(other['exp_avg'], state['exp_avg'],
                                   rtol=1e-5, atol=1e-6)
    assert resumed['param_schedulers'] == reference['param_schedulers']


@pytest.fixture(scope='module')
def unbroken(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('unbroken'))
    code, log = train(work_dir)
    assert code == 0, log[-3000:]
    return work_dir


def test_same_seed_same_losses(unbroken, tmp_path):
    code, log = train(str(tmp_path))
    assert code == 0, log[-3000:]
    first, second = losses(unbroken), losses(str(tmp_path))
    assert sorted(first) == list(range(1, MAX_ITERS + 1))
    assert second == first  # bit for bit, run to run
    assert_same_training(final_state(str(tmp_path)), final_state(unbroken))


def test_sigkill_at_a_random_iteration_then_resume(unbroken, tmp_path):
    work_dir = str(tmp_path)
    # iteration 3 logged: the checkpoint of iteration 2 is complete
    kill_after = random.randint(3, MAX_ITERS - 2)
    process = subprocess.Popen(
        command(work_dir), cwd=REPO_ROOT,
        env=environment(STPREDICT_TEST_ITER_SLEEP='0.2'),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    try:
        while max(losses(work_dir), default=0) < kill_after:
            assert process.poll() is None, 'training ended before the kill'
            assert time.time() < deadline
            time.sleep(0.02)
        time.sleep(random.uniform(0, 0.2))  # anywhere in the iteration
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert not osp.exists(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))

    code, log = train(work_dir, '--resume', 'auto')
    assert code == 0, log[-3000:]
    assert 'resumed epoch' in log, f'killed after {kill_after}: {log[-2000:]}'
    assert_same_training(final_state(work_dir), final_state(unbroken))


def test_sigkill_while_saving_a_checkpoint_then_resume(unbroken, tmp_path):
    work_dir = str(tmp_path)
    code, _ = train(work_dir, STPREDICT_TEST_KILL_DURING_SAVE='6')
    assert code == -signal.SIGKILL
    # the half-written file never took the checkpoint's name, and
    # last_checkpoint still names the previous, complete one
    assert not osp.exists(osp.join(work_dir, 'iter_6.pth'))
    assert glob.glob(osp.join(work_dir, '.iter_6.pth.tmp-*'))
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        assert file.read().strip().endswith('iter_4.pth')
    # both kept checkpoints survived (old ones go only after a new one)
    assert osp.exists(osp.join(work_dir, 'iter_2.pth'))

    code, log = train(work_dir, '--resume', 'auto')
    assert code == 0, log[-3000:]
    assert 'resumed epoch: 0, iter: 4' in log
    assert not glob.glob(osp.join(work_dir, '.iter_6.pth.tmp-*'))
    assert_same_training(final_state(work_dir), final_state(unbroken))


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_saves_and_resumes_exactly(unbroken, tmp_path, signum):
    """Pre-emption (SIGTERM) or Ctrl-C (SIGINT) at a random iteration: the
    iteration finishes, a checkpoint of it is saved, the log says how to
    resume, the exit status is 128 + N, and --resume auto continues
    exactly."""
    work_dir = str(tmp_path)
    stop_after = random.randint(2, MAX_ITERS - 2)
    process = subprocess.Popen(
        command(work_dir), cwd=REPO_ROOT,
        env=environment(STPREDICT_TEST_ITER_SLEEP='0.3'),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 240
    try:
        while max(losses(work_dir), default=0) < stop_after:
            assert process.poll() is None, 'training ended before the signal'
            assert time.time() < deadline
            time.sleep(0.02)
        process.send_signal(signum)
        log, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, log[-3000:]
    name = signal.Signals(signum).name
    match = re.search(rf'Training stopped by {name} after iteration (\d+)\. '
                      r'Saved (\S+)\. Resume with: python (.*)$', log,
                      re.MULTILINE)
    assert match, log[-3000:]
    step = int(match.group(1))
    assert step >= stop_after
    assert match.group(2) == osp.join(work_dir, f'iter_{step}.pth')
    assert '--resume auto' in match.group(3) and work_dir in match.group(3)
    assert 'Traceback' not in log
    # no orphans: max_keep_ckpts=2 periodic checkpoints, no temporary files
    periodic = glob.glob(osp.join(work_dir, 'iter_*.pth'))
    assert len(periodic) <= 2 and osp.join(work_dir, f'iter_{step}.pth') \
        in periodic
    assert not glob.glob(osp.join(work_dir, '.*.tmp-*'))
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        assert file.read() == f'iter_{step}.pth'

    code, log = train(work_dir, '--resume', 'auto')
    assert code == 0, log[-3000:]
    assert f'resumed epoch: 0, iter: {step}' in log
    assert_same_training(final_state(work_dir), final_state(unbroken))


def test_full_disk_names_the_file_the_bytes_and_the_free_space(tmp_path):
    work_dir = str(tmp_path)
    code, log = train(work_dir, STPREDICT_TEST_FREE_BYTES='1000')
    assert code != 0
    assert re.search(
        r'DiskFullError: \[Errno 28\] No space left to write '
        rf'{re.escape(osp.join(work_dir, "iter_2.pth"))}: it needs \d+ '
        rf'bytes and 1000 bytes are free in {re.escape(work_dir)}', log), \
        log[-3000:]
    assert not glob.glob(osp.join(work_dir, '*.pth*'))
    assert not glob.glob(osp.join(work_dir, '.*.tmp-*'))
