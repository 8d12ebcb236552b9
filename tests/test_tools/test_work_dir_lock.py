"""One training run per work dir: a second one refuses, naming the first;
the lock of a killed run is taken over."""
import io
import json
import logging
import multiprocessing
import os
import signal
import uuid

import pytest
from mmengine.logging import MMLogger
from tool_runner import FAST_OPTIONS, PYTHON, TINY_CONFIG, run_tool

from stpredict.engine.hooks import (WorkDirInUseError, acquire_work_dir_lock,
                                    release_work_dir_lock)
from stpredict.engine.hooks import work_dir_lock_hook

FORK = multiprocessing.get_context('fork')


def other_process_acquires(work_dir, results, hold=False):
    """Run in a forked child: a process of its own, with no locks yet."""
    work_dir_lock_hook._HELD.clear()
    try:
        acquire_work_dir_lock(work_dir)
        results.put('acquired')
    except WorkDirInUseError as error:
        results.put(str(error))
    results.close()
    results.join_thread()  # flushed before the child exits
    if hold:
        signal.pause()  # keep it until killed
    os._exit(0)


def in_other_process(work_dir):
    results = FORK.Queue()
    child = FORK.Process(target=other_process_acquires,
                         args=(str(work_dir), results))
    child.start()
    outcome = results.get(timeout=30)
    child.join(30)
    return outcome


@pytest.fixture
def log():
    logger = MMLogger.get_instance(f'lock-{uuid.uuid4().hex}')
    stream = io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    return stream.getvalue


def test_second_run_refuses_naming_the_first(tmp_path):
    assert acquire_work_dir_lock(str(tmp_path))
    try:
        info = json.loads((tmp_path / 'train.lock').read_text())
        assert info['pid'] == os.getpid()
        message = in_other_process(tmp_path)
        assert f'is in use by another training run: pid {os.getpid()}' \
            in message
        assert 'another --work-dir' in message
        # the same process may take it again (tools/train.py, then the hook)
        assert not acquire_work_dir_lock(str(tmp_path))
        release_work_dir_lock(str(tmp_path))
        assert (tmp_path / 'train.lock').exists()
    finally:
        release_work_dir_lock(str(tmp_path))
    assert not (tmp_path / 'train.lock').exists()
    assert in_other_process(tmp_path) == 'acquired'


def test_lock_of_a_killed_run_is_taken_over(tmp_path, log):
    results = FORK.Queue()
    child = FORK.Process(target=other_process_acquires,
                         args=(str(tmp_path), results, True))
    child.start()
    assert results.get(timeout=30) == 'acquired'
    with pytest.raises(WorkDirInUseError, match=f'pid {child.pid}'):
        acquire_work_dir_lock(str(tmp_path))
    os.kill(child.pid, signal.SIGKILL)
    child.join(30)
    # the kernel released the dead run's lock; its file still names it
    assert json.loads((tmp_path / 'train.lock').read_text())['pid'] == \
        child.pid
    try:
        assert acquire_work_dir_lock(str(tmp_path))
        assert f'from a run that ended without releasing it (killed or ' \
            f'crashed): pid {child.pid}' in log()
    finally:
        release_work_dir_lock(str(tmp_path))


def test_train_tool_refuses_a_work_dir_in_use(tmp_path):
    acquire_work_dir_lock(str(tmp_path))
    try:
        code, output = run_tool(
            PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir',
            str(tmp_path), '--resume', 'auto', '--cfg-options',
            *FAST_OPTIONS, check=False)
    finally:
        release_work_dir_lock(str(tmp_path))
    assert code != 0
    assert 'WorkDirInUseError' in output
    assert f'pid {os.getpid()}' in output
    assert 'Iter(train)' not in output
    assert not [name for name in os.listdir(tmp_path)
                if name != 'train.lock']
