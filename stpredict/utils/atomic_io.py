"""Atomic file writes, so that a crash never leaves a half-written file.

A file is first written next to its destination under a temporary name
(``.NAME.tmp-PID``), flushed to disk, then renamed over the destination with
:func:`os.replace`, which is atomic on POSIX and Windows file systems. A
process killed at any point therefore leaves either the old file, or the new
complete file, plus at worst a stray temporary file that nothing reads.

stpredict installs :class:`AtomicLocalBackend` as mmengine's backend for local
paths on import, so every checkpoint that the Runner saves is written this
way.
"""
import os
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend, register_backend

#: Marker in the names of temporary files (ignored when looking for
#: checkpoints and removed by :func:`remove_stale_temporaries`).
TEMPORARY_MARKER = '.tmp-'


def temporary_path(path: Union[str, Path]) -> str:
    """The temporary name under which ``path`` is written before renaming.

    Args:
        path (str | Path): The destination.

    Returns:
        str: A hidden sibling of ``path`` named after this process.
    """
    path = str(path)
    directory, name = osp.split(path)
    return osp.join(directory, f'.{name}{TEMPORARY_MARKER}{os.getpid()}')


def atomic_write(data: Union[bytes, str],
                 path: Union[str, Path],
                 fsync: bool = True,
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` so that readers see all of it or none.

    Args:
        data (bytes | str): What to write.
        path (str | Path): The destination file; its folder is created.
        fsync (bool): Flush the file to the disk before renaming, so that
            even a power cut leaves a complete file. Defaults to True.
        encoding (str): Text encoding when ``data`` is a str.
            Defaults to 'utf-8'.
    """
    path = str(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = temporary_path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    try:
        with open(temporary, 'wb') as file:
            file.write(data)
            file.flush()
            if fsync:
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if osp.exists(temporary):
            os.remove(temporary)
        raise
    if fsync:
        _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be
    opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(descriptor)


def remove_stale_temporaries(directory: str) -> int:
    """Delete temporary files left in ``directory`` by killed writers.

    Only files of processes that no longer run are removed, so a writer
    that is still busy (another rank, another job) keeps its file.

    Args:
        directory (str): The folder to clean (not recursive).

    Returns:
        int: How many files were removed.
    """
    if not osp.isdir(directory):
        return 0
    removed = 0
    for name in os.listdir(directory):
        if not name.startswith('.') or TEMPORARY_MARKER not in name:
            continue
        pid = name.rsplit(TEMPORARY_MARKER, 1)[1]
        if pid.isdigit() and _process_alive(int(pid)):
            continue
        try:
            os.remove(osp.join(directory, name))
            removed += 1
        except OSError:  # pragma: no cover - removed meanwhile
            pass
    return removed


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    return True


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put`` and ``put_text``.

    Binary files (checkpoints) are flushed to the disk before the rename;
    text files only renamed (they are small and rewritten often).
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        atomic_write(obj, filepath, fsync=True)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically.

        Args:
            obj (str): Data to be written.
            filepath (str | Path): Path to write data.
            encoding (str): The text encoding. Defaults to 'utf-8'.
        """
        atomic_write(obj, filepath, fsync=False, encoding=encoding)


def register_atomic_local_backend() -> None:
    """Make mmengine write every local file through
    :class:`AtomicLocalBackend`."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')


__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'remove_stale_temporaries',
    'register_atomic_local_backend', 'temporary_path'
]
