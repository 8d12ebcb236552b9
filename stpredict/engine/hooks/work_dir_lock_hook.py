"""One training run per work dir at a time."""
import atexit
import fcntl
import json
import logging
import os
import os.path as osp
import socket
import sys
import time
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop

from stpredict.registry import HOOKS

#: The lock file in a work dir.
LOCK_NAME = 'train.lock'


class WorkDirInUseError(RuntimeError):
    """Another training run is writing into the same work dir."""


#: Locks this process holds, by absolute work dir: (file descriptor, count).
_HELD: Dict[str, list] = {}


def _describe(info: dict) -> str:
    started = info.get('started')
    when = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started)) \
        if isinstance(started, (int, float)) else 'at an unknown time'
    return (f'pid {info.get("pid", "?")} on host {info.get("host", "?")}, '
            f'started {when} ({info.get("command", "?")})')


def _read_info(path: str) -> dict:
    try:
        with open(path) as file:
            info = json.load(file)
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def main_rank() -> bool:
    """Whether this process is rank 0 (also before the process group is
    initialised: from torchrun's ``RANK`` or Slurm's ``SLURM_PROCID``)."""
    for name in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        value = os.environ.get(name)
        if value is not None and value.isdigit():
            return int(value) == 0
    return True


def acquire_work_dir_lock(work_dir: str) -> bool:
    """Lock ``work_dir`` for this training run.

    The lock is an advisory ``flock`` on ``WORK_DIR/train.lock``, which
    also names the holder (pid, host, start time, command). The kernel
    releases it when the holder dies, however it dies, so the lock of a
    killed run is stale by construction and is taken over (with a line in
    the log). Taking a lock this process already holds only counts it.

    Args:
        work_dir (str): The run's work dir (created if missing).

    Returns:
        bool: True when the lock was newly taken, False when this process
        already held it.

    Raises:
        WorkDirInUseError: Another live process holds it; the message names
            that process.
    """
    work_dir = osp.abspath(work_dir)
    if work_dir in _HELD:
        _HELD[work_dir][1] += 1
        return False
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_NAME)
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            holder = _read_info(path)
            raise WorkDirInUseError(
                f'The work dir {work_dir} is in use by another training '
                f'run: {_describe(holder)}. Two runs in one work dir '
                'overwrite each other\'s checkpoints. Wait for it to end or '
                'stop it, or give this run another --work-dir.') from None
        # the file may have been removed and re-created by the previous
        # holder between open() and flock(): then lock the new one
        try:
            same = os.stat(path).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)
    previous = _read_info(path)
    if previous.get('pid') not in (None, os.getpid()):
        print_log(
            f'Took over the lock of {work_dir} from a run that ended '
            f'without releasing it (killed or crashed): {_describe(previous)}'
            '.', logger='current', level=logging.WARNING)
    info = dict(pid=os.getpid(), host=socket.gethostname(),
                started=time.time(), command=' '.join(sys.argv))
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, json.dumps(info).encode(), 0)
    _HELD[work_dir] = [descriptor, 1]
    return True


def release_work_dir_lock(work_dir: str, force: bool = False) -> None:
    """Release a lock taken by :func:`acquire_work_dir_lock`.

    Args:
        work_dir (str): The work dir.
        force (bool): Release it whatever the count. Defaults to False.
    """
    work_dir = osp.abspath(work_dir)
    held = _HELD.get(work_dir)
    if held is None:
        return
    held[1] -= 1
    if held[1] > 0 and not force:
        return
    del _HELD[work_dir]
    try:
        os.remove(osp.join(work_dir, LOCK_NAME))
    except OSError:
        pass
    os.close(held[0])


@atexit.register
def _release_all() -> None:
    for work_dir in list(_HELD):
        release_work_dir_lock(work_dir, force=True)


@HOOKS.register_module()
class WorkDirLockHook(Hook):
    """Refuse to train into a work dir another live run is training into.

    Rank 0 takes the lock (``WORK_DIR/train.lock``, see
    :func:`acquire_work_dir_lock`) before the run starts and releases it
    when the run ends (``before_run``, ``after_run``; it is taken only
    when the run trains); the other ranks of a distributed run share rank
    0's.
    ``tools/train.py`` takes it even earlier, before it looks for the
    checkpoint to resume from. Testing is not locked: evaluating a
    checkpoint while the run goes on is safe.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._work_dir: Optional[str] = None

    def before_run(self, runner) -> None:
        """Take the lock (rank 0) when the run trains.

        Args:
            runner (Runner): The runner.
        """
        if isinstance(getattr(runner, '_train_loop', None), BaseLoop) and \
                is_main_process():
            acquire_work_dir_lock(runner.work_dir)
            self._work_dir = runner.work_dir

    def after_run(self, runner) -> None:
        """Release it.

        Args:
            runner (Runner): The runner.
        """
        if self._work_dir is not None:
            release_work_dir_lock(self._work_dir)
            self._work_dir = None
