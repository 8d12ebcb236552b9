"""The safe loader: checksum, archive check, restricted unpickling and the
check of what was unpickled; registered as mmengine's local loader."""
import logging
import os.path as osp
import pickle
import zipfile
from typing import Any, Callable, Optional, Set, Union

import torch
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from ..atomic_io import checksum_path, read_checksums, sha256_of_file
from .allow_list import safe_globals
from .errors import (CheckpointError, ChecksumMismatchError,
                     UnsafeCheckpointError)
from .resolver import _Refused, _Resolver

#: Files already reported as having no checksum (reported once each).
_UNVERIFIED_REPORTED: Set[str] = set()


def verify_checksum(filename: str) -> bool:
    """Check a checkpoint against its checksum file, if it has one.

    Args:
        filename (str): The checkpoint.

    Returns:
        bool: True when it matches its checksum, False when it has no
        checksum file (then a warning is logged, once per file).

    Raises:
        ChecksumMismatchError: The file does not match its checksum, or the
            checksum file is unreadable.
    """
    record = checksum_path(filename)
    try:
        expected = read_checksums(filename)
    except (OSError, ValueError) as error:
        raise ChecksumMismatchError(
            f'Checkpoint file "{filename}" cannot be verified: its checksum '
            f'file {record} is unreadable ({error}). Restore it, or delete '
            'it to load the checkpoint unverified.') from None
    if expected is None:
        if filename not in _UNVERIFIED_REPORTED:
            _UNVERIFIED_REPORTED.add(filename)
            print_log(
                f'Checkpoint "{filename}" has no checksum file ({record}): '
                'it was written before stpredict wrote checksums, or by '
                'another tool; loading it unverified.',
                logger='current', level=logging.WARNING)
        return False
    actual = sha256_of_file(filename)
    if actual not in expected:
        raise ChecksumMismatchError(
            f'Checkpoint file "{filename}" does not match its checksum '
            f'({record}: sha256 {expected[0][:16]}..., the file: '
            f'{actual[:16]}...): it was changed or damaged after it was '
            'written (disk or copy error). Use another checkpoint '
            '(--resume auto picks the newest intact one); if you changed '
            f'the file on purpose, delete {record}.')
    return True


def _check_archive(filename: str) -> None:
    """Refuse files that are not plain ``torch.save`` zip archives."""
    try:
        with zipfile.ZipFile(filename) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise CheckpointError(
            f'Checkpoint file "{filename}" is truncated or corrupt: it is '
            f'not a complete zip archive as torch.save writes ({error}). '
            'It may have been cut off while being written; use an earlier '
            'checkpoint. (Files of torch < 1.6 use a legacy format that '
            'stpredict does not read: re-save them with a current '
            'PyTorch.)') from None
    file_bytes = osp.getsize(filename)
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED or \
                info.file_size != info.compress_size or \
                info.file_size > file_bytes:
            raise UnsafeCheckpointError(
                f'Refused to load checkpoint "{filename}": its record '
                f'"{info.filename}" is compressed and declares '
                f'{info.file_size} bytes unpacked, while the file has '
                f'{file_bytes}. torch.save never compresses records; a '
                'compressed one can unpack to far more memory than the file '
                'holds. Only load checkpoints from sources you trust.')


def safe_torch_load(filename: str,
                    map_location: Optional[Union[str, Callable,
                                                 torch.device]] = 'cpu'
                    ) -> Any:
    """Load a checkpoint file with torch's safe loader and the allow-list.

    Args:
        filename (str): Path of the checkpoint file.
        map_location (str | Callable | torch.device, optional): Where to put
            the tensors, as in :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        Any: The object stored in the file (usually a dict).

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file asks to rebuild an object that is not
            on the allow-list (it could run code), holds a numpy object
            that could crash or exhaust the process, or declares more data
            than it holds; the message names the entry. Nothing of it is
            executed.
        ChecksumMismatchError: The file does not match its checksum file.
        CheckpointError: The file is empty, truncated or not a checkpoint.
    """
    filename = osp.expanduser(str(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'Checkpoint file "{filename}" does not exist. Check the path '
            '(load_from, --resume or the CHECKPOINT argument).')
    if osp.getsize(filename) == 0:
        raise CheckpointError(
            f'Checkpoint file "{filename}" is empty (0 bytes): it was '
            'probably cut off while being written. Delete it and use an '
            'earlier checkpoint.')
    verify_checksum(filename)
    _check_archive(filename)
    loaded = _unpickle(filename, map_location)
    try:
        return _Resolver(osp.getsize(filename)).resolve(loaded, 'checkpoint')
    except _Refused as refused:
        raise UnsafeCheckpointError(
            f'Refused to load checkpoint "{filename}": the entry '
            f'{refused.entry} {refused.reason}. Nothing of it was used. '
            'stpredict loads only the tensors, numbers and mmengine objects '
            'that training writes; only load checkpoints from sources you '
            'trust.') from None


def _unpickle(filename: str, map_location: Any) -> Any:
    """``torch.load(weights_only=True)`` with the stand-ins in place."""
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        message = str(error)
        if 'Unsupported global' in message or 'weights_only' in message \
                or 'Weights only load failed' in message:
            detail = _unsupported_global(message)
            raise UnsafeCheckpointError(
                f'Refused to load checkpoint "{filename}": it asks to rebuild '
                f'{detail}, which is not a tensor, a container or one of the '
                'classes stpredict allows. Unpickling it could run arbitrary '
                'code, so nothing of it was executed. Only load checkpoints '
                'from sources you trust; if this file is yours and holds a '
                'harmless extra object, save the state_dict alone.') from None
        raise CheckpointError(
            f'Checkpoint file "{filename}" is corrupt ({message}). '
            'Use another checkpoint.') from None
    except Exception as error:  # any other failure: not a readable file
        raise CheckpointError(
            f'Checkpoint file "{filename}" is truncated or corrupt '
            f'({type(error).__name__}: {error}). It may have been cut off '
            'while being written; use an earlier checkpoint.') from None


def _unsupported_global(message: str) -> str:
    """Pull the name of the refused global out of torch's message."""
    marker = 'Unsupported global: GLOBAL '
    if marker in message:
        name = message.split(marker, 1)[1].split()[0]
        return f'the global "{name}"'
    return 'an object that is not on the allow-list'


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str, Callable,
                                                       torch.device]] = None
                          ) -> Any:
    """mmengine loader scheme for local paths, through the safe loader.

    Args:
        filename (str): Local path of the checkpoint.
        map_location (str | Callable | torch.device, optional): As in
            :func:`torch.load`. Defaults to None.

    Returns:
        Any: The loaded checkpoint.
    """
    return safe_torch_load(filename, map_location=map_location)


def register_safe_checkpoint_loader() -> None:
    """Make mmengine load every local checkpoint with the safe loader.

    mmengine picks a loader by path prefix; the empty prefix is the local file
    system. Registering again is harmless (the same function is re-bound).
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)


def is_safe_loader_registered() -> bool:
    """Whether mmengine's local loader is stpredict's safe loader."""
    return CheckpointLoader._schemes.get('') is load_local_checkpoint
