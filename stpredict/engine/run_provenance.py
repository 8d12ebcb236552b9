"""Where a result came from: config, checkpoint, code, software, machine."""
import datetime
import os.path as osp
import platform
import subprocess
import sys
from typing import Any, Dict, Optional

import torch

from .cpu_threads import usable_cpus

#: The repository root (the folder above the ``stpredict`` package).
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def git_state(root: str = REPO_ROOT) -> Dict[str, Any]:
    """The commit of the code and whether tracked files were changed.

    Args:
        root (str): A folder inside the repository. Defaults to the
            repository of this package.

    Returns:
        dict: ``commit`` (40 hex digits) and ``dirty`` (True when tracked
        files differ from the commit), both None outside a git checkout.
    """

    def git(*args: str) -> Optional[str]:
        try:
            result = subprocess.run(
                ['git', '-C', root, *args], capture_output=True, text=True,
                timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return result.stdout if result.returncode == 0 else None

    commit = git('rev-parse', 'HEAD')
    if commit is None:
        return dict(commit=None, dirty=None)
    status = git('status', '--porcelain', '--untracked-files=no')
    return dict(commit=commit.strip(),
                dirty=None if status is None else bool(status.strip()))


def run_provenance(config: str,
                   checkpoint: Optional[str] = None,
                   **extra: Any) -> Dict[str, Any]:
    """A record of what produced a result, for result files.

    Args:
        config (str): The config file as given.
        checkpoint (str, optional): The checkpoint as given; a local file
            gets its SHA-256. Defaults to None.
        **extra: More entries (thread count, baselines, overrides, ...).

    Returns:
        dict: ``config`` (as given) and ``config_abspath``;
        ``checkpoint``, ``checkpoint_abspath`` and ``checkpoint_sha256``;
        ``git_commit`` and ``git_dirty``; ``date`` (local time, ISO 8601
        with the UTC offset); ``command``; the versions of Python, torch,
        mmengine and stpredict; ``machine`` (platform and CPU count); then
        ``extra``.
    """
    import mmengine

    from stpredict.utils.atomic_io import sha256_of_file
    from stpredict.version import __version__
    record: Dict[str, Any] = dict(config=config,
                                  config_abspath=osp.abspath(config))
    if checkpoint is not None:
        record['checkpoint'] = checkpoint
        local = osp.isfile(checkpoint)
        record['checkpoint_abspath'] = osp.abspath(checkpoint) \
            if local else None
        record['checkpoint_sha256'] = sha256_of_file(checkpoint) \
            if local else None
    state = git_state()
    record['git_commit'] = state['commit']
    record['git_dirty'] = state['dirty']
    record['date'] = datetime.datetime.now().astimezone().isoformat(
        timespec='seconds')
    record['command'] = ' '.join([osp.basename(sys.executable)] + sys.argv)
    record['python'] = platform.python_version()
    record['torch'] = torch.__version__
    record['mmengine'] = mmengine.__version__
    record['stpredict'] = __version__
    gpu = (torch.cuda.get_device_name(0)
           if torch.cuda.is_available() else 'no GPU')
    record['machine'] = (f'{platform.machine()} {platform.system()}, '
                         f'{len(usable_cpus())} CPUs usable, {gpu}')
    record.update(extra)
    return record
