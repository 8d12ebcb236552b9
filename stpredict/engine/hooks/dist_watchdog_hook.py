"""Name the rank that went silent when a distributed collective times out.

When one rank of a distributed run stops (``SIGSTOP``, a hung data loader,
a dead node), the others wait in their next collective until the process
group's timeout (``env_cfg.dist_cfg.timeout``, seconds) and then fail with
a transport error that names no rank. :class:`DistWatchdogHook` gives
every rank a heartbeat - a tiny file ``WORK_DIR/.heartbeats/rank{N}.json``
rewritten every second by a background thread, with the iteration the rank
is at - and :func:`explain_collective_failure` turns the timeout into a
message naming the ranks whose heartbeat stopped.
"""
import json
import os
import os.path as osp
import socket
import threading
import time
from typing import Any, Dict, List, Optional

from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook

from stpredict.registry import HOOKS
from stpredict.utils.atomic_io import atomic_write

#: The folder of the heartbeat files, inside the work dir.
HEARTBEAT_DIR = '.heartbeats'

#: Seconds between two heartbeats.
BEAT_SECONDS = 1.0

#: A heartbeat older than this many intervals means the rank is silent
#: (fewer when the timeout is short, but never under 2).
SILENT_BEATS = 3


class CollectiveTimeoutError(RuntimeError):
    """A distributed collective timed out because a rank went silent."""


def _heartbeat_path(work_dir: str, rank: int) -> str:
    return osp.join(work_dir, HEARTBEAT_DIR, f'rank{rank}.json')


@HOOKS.register_module()
class DistWatchdogHook(Hook):
    """Keep a heartbeat of every rank of a distributed run.

    Nothing happens in single-process runs. In distributed ones each rank
    starts a daemon thread that rewrites its heartbeat file every second
    (pid, host, iteration, time); a rank that is stopped, hung in a
    system call or dead stops beating while the ranks waiting for it go
    on. ``tools/train.py`` reads the files when a collective fails and
    names the silent ranks (:func:`explain_collective_failure`). The
    waiting time itself is the process group's timeout,
    ``env_cfg.dist_cfg.timeout`` (seconds).

    Args:
        interval (float): Seconds between heartbeats. Defaults to 1.
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: float = BEAT_SECONDS) -> None:
        if not isinstance(interval, (int, float)) or interval <= 0:
            raise ValueError(f'interval must be a positive number of '
                             f'seconds, got {interval!r}.')
        self.interval = float(interval)
        self._state: Dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._path: Optional[str] = None

    def _beat(self) -> None:
        while True:
            try:
                atomic_write(json.dumps(dict(self._state, time=time.time())),
                             self._path, fsync=False)
            except OSError:  # pragma: no cover - a full or gone disk
                pass
            if self._stop.wait(self.interval):
                return

    def before_train(self, runner) -> None:
        """Start the heartbeat (distributed runs only).

        Args:
            runner (Runner): The runner.
        """
        if get_world_size() < 2 or self._thread is not None:
            return
        rank = get_rank()
        self._path = _heartbeat_path(runner.work_dir, rank)
        self._state = dict(rank=rank, world_size=get_world_size(),
                           pid=os.getpid(), host=socket.gethostname(),
                           run=str(runner.timestamp), iter=runner.iter,
                           interval=self.interval)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat, name='stpredict-heartbeat', daemon=True)
        self._thread.start()

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Any = None) -> None:
        """Record the iteration the rank is starting.

        Args:
            runner (Runner): The runner.
            batch_idx (int): The batch index.
            data_batch (Any): The batch.
        """
        if self._thread is not None:
            self._state['iter'] = runner.iter + 1

    def after_run(self, runner) -> None:
        """Stop the heartbeat and remove its file.

        Args:
            runner (Runner): The runner.
        """
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None
        if self._path and osp.isfile(self._path):
            os.remove(self._path)
        try:
            os.rmdir(osp.dirname(self._path))
        except OSError:  # other ranks still beating, or not empty
            pass


def read_heartbeats(work_dir: str) -> List[dict]:
    """The heartbeat files of a work dir (those of the newest run).

    Args:
        work_dir (str): The run's work dir.

    Returns:
        list[dict]: One record per rank, sorted by rank.
    """
    folder = osp.join(work_dir, HEARTBEAT_DIR)
    if not osp.isdir(folder):
        return []
    records = []
    for name in os.listdir(folder):
        if not (name.startswith('rank') and name.endswith('.json')):
            continue
        try:
            with open(osp.join(folder, name)) as file:
                record = json.load(file)
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and isinstance(record.get('rank'), int):
            records.append(record)
    if not records:
        return []
    newest = max(str(record.get('run')) for record in records)
    return sorted((r for r in records if str(r.get('run')) == newest),
                  key=lambda record: record['rank'])


def looks_like_timeout(error: BaseException) -> bool:
    """Whether an exception is a collective that timed out."""
    text = f'{type(error).__name__}: {error}'.lower()
    return 'timed out' in text or 'timeout' in text or \
        'connection closed by peer' in text or 'connection reset' in text


def explain_collective_failure(error: BaseException, work_dir: str,
                               timeout: Optional[float] = None,
                               now: Optional[float] = None
                               ) -> Optional[str]:
    """Say which rank went silent when a collective failed.

    Args:
        error (BaseException): The exception of the collective.
        work_dir (str): The run's work dir (where the heartbeats are).
        timeout (float, optional): The process group's timeout in seconds,
            for the message.
        now (float, optional): The current time (for tests).

    Returns:
        str | None: The explanation, or None when ``error`` is not a
        timed-out collective of a distributed run with heartbeats.
    """
    if not looks_like_timeout(error):
        return None
    records = read_heartbeats(work_dir)
    if not records:
        return None
    now = time.time() if now is None else now
    world_size = max(int(r.get('world_size', 0)) for r in records)
    seen = {r['rank'] for r in records}
    silent = []
    for record in records:
        age = now - float(record.get('time', 0))
        interval = float(record.get('interval', BEAT_SECONDS))
        limit = SILENT_BEATS * interval
        if timeout:
            limit = max(2 * interval, min(limit, timeout / 2))
        if age > limit:
            silent.append(
                f'rank {record["rank"]} (pid {record.get("pid")} on host '
                f'{record.get("host")}) at iteration {record.get("iter")}, '
                f'silent for {age:.0f} s')
    for rank in range(world_size):
        if rank not in seen:
            silent.append(f'rank {rank}, which never wrote a heartbeat')
    waited = f' after {timeout:g} s' if timeout else ''
    fix = ('Set env_cfg.dist_cfg.timeout=SECONDS (--cfg-options) to wait '
           'longer or fail sooner.')
    if not silent:
        return (f'A distributed collective failed{waited} ({error}), but '
                'every rank kept its heartbeat: no rank looks stopped. The '
                'ranks may be running different collectives (code that '
                'runs on some ranks only), or the network may be too slow. '
                f'{fix}')
    return (f'A distributed collective timed out{waited}: the other ranks '
            f'waited for {"; ".join(silent)}. That process stopped '
            'answering (stopped with SIGSTOP or Ctrl-Z, hung in I/O or a '
            'data loader, or died). Check it (its log, kill -CONT PID, the '
            f'node); then resume with --resume auto. {fix} (Original '
            f'error: {type(error).__name__}: {str(error)[:200]})')
