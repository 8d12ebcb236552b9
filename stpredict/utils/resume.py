"""Find the checkpoint that ``--resume auto`` continues from."""
import os
import os.path as osp
import re
import warnings
import zipfile
from typing import List, Optional

from .atomic_io import TEMPORARY_MARKER, remove_stale_temporaries

_STEP_PATTERN = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` file (cheap check).

    ``torch.save`` writes a zip archive whose directory comes last, so a file
    cut off while being written is not a valid zip archive. This reads the
    directory only, not the tensors.

    Args:
        path (str): The file.

    Returns:
        bool: True when the file exists and its archive is complete.
    """
    if not osp.isfile(path) or osp.getsize(path) == 0:
        return False
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def _read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The path in ``WORK_DIR/last_checkpoint``, if readable."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    try:
        with open(record) as file:
            path = file.read().strip()
    except OSError:
        return None
    if not path:
        return None
    if not osp.isabs(path) and not osp.exists(path):
        path = osp.join(work_dir, osp.basename(path))
    return path


def _numbered_checkpoints(work_dir: str) -> List[str]:
    """``iter_N.pth`` / ``epoch_N.pth`` files, newest (largest N) first."""
    found = []
    for name in os.listdir(work_dir):
        match = _STEP_PATTERN.match(name)
        if match and TEMPORARY_MARKER not in name:
            found.append((int(match.group(1)), osp.join(work_dir, name)))
    return [path for _, path in sorted(found, reverse=True)]


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint of a work dir, for ``--resume auto``.

    It prefers the file named in ``WORK_DIR/last_checkpoint``. If that record
    is missing, empty or names a missing or incomplete file (a run killed at
    the wrong moment by an older mmengine hook), it falls back to the
    ``iter_N.pth``/``epoch_N.pth`` file with the largest N that is
    complete, and warns. Temporary files of killed writers are removed.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The checkpoint path, or None when the run has none (it
        then starts from the beginning).
    """
    if not osp.isdir(work_dir):
        return None
    remove_stale_temporaries(work_dir)
    recorded = _read_last_checkpoint(work_dir)
    if recorded is not None and is_complete_checkpoint(recorded):
        return recorded
    for path in _numbered_checkpoints(work_dir):
        if is_complete_checkpoint(path):
            if recorded is not None:
                warnings.warn(
                    f'{osp.join(work_dir, "last_checkpoint")} names '
                    f'"{recorded}", which is missing or incomplete; resuming '
                    f'from "{path}", the newest complete checkpoint.')
            return path
        warnings.warn(f'Skipping the incomplete checkpoint "{path}".')
    return None


__all__ = ['find_resumable_checkpoint', 'is_complete_checkpoint']
