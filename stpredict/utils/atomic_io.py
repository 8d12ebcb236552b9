"""Atomic file writes, so that a crash never leaves a half-written file.

A file is first written next to its destination under a temporary name
(``.NAME.tmp-PID``), flushed to disk, then renamed over the destination with
:func:`os.replace`, which is atomic on POSIX and Windows file systems. A
process killed at any point therefore leaves either the old file, or the new
complete file, plus at worst a stray temporary file that nothing reads.

stpredict installs :class:`AtomicLocalBackend` as mmengine's backend for local
paths on import, so every checkpoint that the Runner saves is written this
way, with a checksum file beside it (``iter_900.pth.sha256``, the format of
``sha256sum``) that the loader verifies.
"""
import errno
import hashlib
import os
import os.path as osp
import shutil
from pathlib import Path
from typing import List, Optional, Union

from mmengine.fileio.backends import LocalBackend, register_backend

#: Marker in the names of temporary files (ignored when looking for
#: checkpoints and removed by :func:`remove_stale_temporaries`).
TEMPORARY_MARKER = '.tmp-'


class DiskFullError(OSError):
    """There is no room on the disk for a file being written."""


def free_bytes(directory: str) -> int:
    """Bytes free for this user on the file system of ``directory``.

    Args:
        directory (str): An existing folder.

    Returns:
        int: The free bytes.
    """
    return shutil.disk_usage(directory).free


def _disk_full(path: str, needed: int) -> DiskFullError:
    directory = osp.dirname(osp.abspath(path))
    try:
        free = f'{free_bytes(directory)} bytes are'
    except OSError:  # pragma: no cover
        free = 'an unknown number of bytes is'
    return DiskFullError(
        errno.ENOSPC,
        f'No space left to write {path}: it needs {needed} bytes and '
        f'{free} free in {directory}. The files already there are intact '
        '(writes are atomic). Free some space (old work dirs, or fewer '
        'checkpoints with default_hooks.checkpoint.max_keep_ckpts) and '
        'continue with --resume auto.')


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

    Raises:
        DiskFullError: The disk has no room for it (the message names the
            file, the bytes needed and the bytes free); nothing was
            changed.
    """
    path = str(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = temporary_path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    if len(data) > 4096 and len(data) > free_bytes(directory):
        raise _disk_full(path, len(data))
    try:
        with open(temporary, 'wb') as file:
            file.write(data)
            file.flush()
            if fsync:
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if osp.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and error.errno in (
                errno.ENOSPC, errno.EDQUOT) and \
                not isinstance(error, DiskFullError):
            raise _disk_full(path, len(data)) from None
        raise
    if fsync:
        _fsync_directory(directory)


#: Suffix of the checksum file written beside every checkpoint.
CHECKSUM_SUFFIX = '.sha256'

#: Files that get a checksum file when written through the backend.
CHECKSUMMED_SUFFIXES = ('.pth', )


def checksum_path(path: Union[str, Path]) -> str:
    """The checksum file of ``path`` (``PATH.sha256``).

    Args:
        path (str | Path): The checkpoint.

    Returns:
        str: The checksum file's path.
    """
    return str(path) + CHECKSUM_SUFFIX


def sha256_of_file(path: Union[str, Path], chunk: int = 1 << 22) -> str:
    """The hex SHA-256 of a file, read in chunks.

    Args:
        path (str | Path): The file.
        chunk (int): Bytes read at a time. Defaults to 4 MiB.

    Returns:
        str: 64 hex digits.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for block in iter(lambda: file.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(path: Union[str, Path]) -> Optional[List[str]]:
    """The checksums that ``PATH.sha256`` accepts for ``path``.

    Args:
        path (str | Path): The checkpoint (not the checksum file).

    Returns:
        list[str] | None: The hex digests (usually one; two while a file is
        being replaced), or None when there is no checksum file.

    Raises:
        ValueError: The checksum file exists but holds no valid line.
    """
    record = checksum_path(path)
    if not osp.isfile(record):
        return None
    with open(record, encoding='utf-8', errors='replace') as file:
        lines = file.read().splitlines()
    digests = []
    for line in lines:
        digest = line.split(' ', 1)[0].strip().lower()
        if len(digest) == 64 and all(c in '0123456789abcdef'
                                     for c in digest):
            digests.append(digest)
    if not digests:
        raise ValueError(f'{record} holds no SHA-256 checksum.')
    return digests


def _checksum_text(digests: List[str], path: str) -> str:
    name = osp.basename(path)
    return ''.join(f'{digest}  {name}\n' for digest in digests)


def write_with_checksum(data: bytes, path: Union[str, Path]) -> str:
    """Write ``data`` atomically to ``path`` and its checksum beside it.

    The checksum file always accepts what ``path`` holds, whenever the
    process dies: it first lists the new checksum next to the old one,
    then the file is replaced, then the old checksum is dropped.

    Args:
        data (bytes): The file's content.
        path (str | Path): The destination.

    Returns:
        str: The hex SHA-256 of ``data``.
    """
    path = str(path)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if len(data) > free_bytes(directory):  # before touching anything
        raise _disk_full(path, len(data))
    digest = hashlib.sha256(data).hexdigest()
    try:
        old = read_checksums(path) if osp.isfile(path) else None
    except (OSError, ValueError):
        old = None
    accepted = [digest] + [d for d in (old or []) if d != digest]
    atomic_write(_checksum_text(accepted, path), checksum_path(path))
    atomic_write(data, path, fsync=True)
    if len(accepted) > 1:
        atomic_write(_checksum_text([digest], path), checksum_path(path))
    return digest


def remove_orphan_checksums(directory: str) -> int:
    """Delete checksum files whose checkpoint no longer exists.

    A run killed between writing a checksum and its checkpoint, or between
    removing a checkpoint and its checksum, leaves one.

    Args:
        directory (str): The folder to clean (not recursive).

    Returns:
        int: How many files were removed.
    """
    if not osp.isdir(directory):
        return 0
    removed = 0
    for name in os.listdir(directory):
        if not name.endswith(CHECKSUM_SUFFIX) or name.startswith('.'):
            continue
        target = osp.join(directory, name[:-len(CHECKSUM_SUFFIX)])
        if not osp.exists(target):
            try:
                os.remove(osp.join(directory, name))
                removed += 1
            except OSError:  # pragma: no cover - removed meanwhile
                pass
    return removed


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

    Binary files (checkpoints) are flushed to the disk before the rename,
    and ``.pth`` files get a checksum file (``PATH.sha256``); text files are
    only renamed (they are small and rewritten often). Removing a ``.pth``
    file removes its checksum file too.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        if str(filepath).endswith(CHECKSUMMED_SUFFIXES):
            write_with_checksum(obj, filepath)
        else:
            atomic_write(obj, filepath, fsync=True)

    def remove(self, filepath: Union[str, Path]) -> None:
        """Remove a file, and its checksum file if it has one.

        Args:
            filepath (str | Path): The file.
        """
        super().remove(filepath)
        record = checksum_path(filepath)
        if osp.isfile(record):
            os.remove(record)

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
    'AtomicLocalBackend', 'CHECKSUM_SUFFIX', 'DiskFullError', 'atomic_write',
    'checksum_path', 'free_bytes',
    'read_checksums', 'remove_orphan_checksums', 'remove_stale_temporaries',
    'register_atomic_local_backend', 'sha256_of_file', 'temporary_path',
    'write_with_checksum'
]
