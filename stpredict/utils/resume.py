"""Find the checkpoint that ``--resume auto`` continues from."""
import logging
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional

from mmengine.logging import print_log

from .atomic_io import (TEMPORARY_MARKER, checksum_path, read_checksums,
                        remove_orphan_checksums, remove_stale_temporaries,
                        sha256_of_file)

_STEP_PATTERN = re.compile(r'^(?:iter|epoch)_(\d+)\.pth$')

#: The file in a work dir that names its newest checkpoint.
LAST_CHECKPOINT = 'last_checkpoint'


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


def record_name(checkpoint: str, work_dir: str) -> str:
    """What ``last_checkpoint`` stores for ``checkpoint``.

    A checkpoint inside the work dir is stored relative to it, so that a
    copied or moved work dir resumes from its own files.

    Args:
        checkpoint (str): The checkpoint path.
        work_dir (str): The run's work dir.

    Returns:
        str: The relative path, or the absolute one for a checkpoint
        outside the work dir.
    """
    relative = osp.relpath(osp.abspath(checkpoint), osp.abspath(work_dir))
    if relative.startswith(os.pardir):
        return osp.abspath(checkpoint)
    return relative


def resolve_record(path: str, work_dir: str) -> str:
    """The checkpoint a ``last_checkpoint`` entry names.

    Relative entries (written by stpredict) are relative to the work dir.
    Older entries are absolute or relative to the directory the run was
    started from; when the work dir holds a file of that name (a copied
    work dir), that one is used, not the original's.

    Args:
        path (str): The entry.
        work_dir (str): The work dir that holds the record.

    Returns:
        str: The checkpoint path.
    """
    local = osp.join(work_dir, path) if not osp.isabs(path) else None
    if local is not None and osp.exists(local):
        return local
    own = osp.join(work_dir, osp.basename(path))
    if osp.exists(own):
        return own
    return path if osp.exists(path) else (local or own)


def read_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named in ``WORK_DIR/last_checkpoint``, if readable.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The checkpoint path (see :func:`resolve_record`).
    """
    record = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(record):
        return None
    try:
        with open(record) as file:
            path = file.read().strip()
    except OSError:
        return None
    if not path:
        return None
    return resolve_record(path, work_dir)


def _numbered_checkpoints(work_dir: str) -> List[str]:
    """``iter_N.pth`` / ``epoch_N.pth`` files, newest (largest N) first."""
    found = []
    for name in os.listdir(work_dir):
        match = _STEP_PATTERN.match(name)
        if match and TEMPORARY_MARKER not in name:
            found.append((int(match.group(1)), osp.join(work_dir, name)))
    return [path for _, path in sorted(found, reverse=True)]


def checkpoint_problem(path: str, expect_checksum: bool) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None when it can.

    A file with a checksum file must match it. A file without one is
    accepted only where checksums are not expected (a work dir written
    before stpredict wrote them) and only if it loads.

    Args:
        path (str): The checkpoint.
        expect_checksum (bool): Whether the work dir's checkpoints have
            checksum files.

    Returns:
        str | None: The reason, for the log.

    Raises:
        UnsafeCheckpointError: The file is crafted (it is not skipped
            silently: someone put it there).
    """
    from .checkpoint import CheckpointError, UnsafeCheckpointError
    from .checkpoint import safe_torch_load
    if not osp.isfile(path):
        return 'it does not exist'
    if not is_complete_checkpoint(path):
        return ('it is incomplete (not a whole torch.save archive: cut off '
                'while being written)')
    try:
        expected = read_checksums(path)
    except (OSError, ValueError):
        return f'its checksum file {checksum_path(path)} is unreadable'
    if expected is not None:
        if sha256_of_file(path) in expected:
            return None
        return ('it does not match its checksum (damaged after it was '
                'written)')
    if expect_checksum:
        return (f'it has no checksum file ({checksum_path(path)}) although '
                'the other checkpoints of this work dir have one, so it '
                'cannot be verified (give it with --resume PATH to load it '
                'anyway)')
    try:
        safe_torch_load(path)
    except UnsafeCheckpointError:
        raise
    except CheckpointError as error:
        return f'it cannot be loaded ({error})'
    return None


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest intact checkpoint of a work dir, for ``--resume auto``.

    It prefers the file named in ``WORK_DIR/last_checkpoint``, then the
    ``iter_N.pth``/``epoch_N.pth`` files from the largest N down. Files that
    are incomplete, do not match their checksum, cannot be verified, or
    (without checksums) do not load are skipped, each with a warning that
    says why. Temporary files of killed writers and checksum files without
    their checkpoint are removed.

    Args:
        work_dir (str): The run's work dir.

    Returns:
        str | None: The checkpoint path, or None when the run has none (it
        then starts from the beginning).

    Raises:
        CheckpointError: The work dir has checkpoints, but none is intact.
    """
    if not osp.isdir(work_dir):
        return None
    remove_stale_temporaries(work_dir)
    remove_orphan_checksums(work_dir)
    recorded = read_last_checkpoint(work_dir)
    numbered = _numbered_checkpoints(work_dir)
    candidates = [recorded] if recorded is not None else []
    candidates += [
        path for path in numbered if recorded is None
        or osp.abspath(path) != osp.abspath(recorded)
    ]
    expect_checksum = any(
        osp.isfile(checksum_path(path)) for path in candidates)
    skipped = []
    for path in candidates:
        problem = checkpoint_problem(path, expect_checksum)
        if problem is None:
            if skipped:
                print_log(
                    f'--resume auto: resuming from "{path}", the newest '
                    f'intact checkpoint (skipped {len(skipped)}: '
                    f'{", ".join(skipped)}).', logger='current',
                    level=logging.WARNING)
            return path
        skipped.append(osp.basename(path))
        print_log(f'--resume auto: skipping "{path}": {problem}.',
                  logger='current', level=logging.WARNING)
    if skipped:
        from .checkpoint import CheckpointError
        raise CheckpointError(
            f'--resume auto: {work_dir} has checkpoints but none is intact '
            f'(skipped {", ".join(skipped)}; the reasons are logged above). '
            'Resume from a copy of the run, or start afresh in a new work '
            'dir (or delete these files).')
    return None


__all__ = [
    'checkpoint_problem', 'find_resumable_checkpoint',
    'is_complete_checkpoint', 'read_last_checkpoint', 'record_name',
    'resolve_record'
]
