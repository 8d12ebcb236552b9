"""Safe checkpoint loading under current PyTorch.

PyTorch >= 2.6 loads checkpoints with ``weights_only=True``: unpickling may
only rebuild tensors, containers and an allow-list of classes. mmengine
0.10.x stores a few of its own objects in the checkpoints it writes (the
message hub's ``HistoryBuffer``, numpy arrays and scalars), so its resume and
``load_from`` fail out of the box. Turning ``weights_only`` off would let any
checkpoint file run arbitrary code on load.

stpredict keeps the safe loader and allows exactly the classes mmengine
stores. It registers :func:`load_local_checkpoint` as mmengine's loader for
local paths, so ``load_from``, ``resume`` and :func:`load_checkpoint` all go
through it, and refuses anything else with a clear error that names the file.
"""

import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointError(RuntimeError):
    """A checkpoint file could not be loaded (corrupt, truncated, unsafe)."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint file asks to rebuild an object outside the allow-list."""


def _numpy_globals() -> List[Any]:
    """The numpy objects that pickled arrays and scalars refer to."""
    allowed: List[Any] = [np.ndarray, np.dtype]
    # numpy>=2 moved ``core`` to ``_core``; pickles name whichever wrote them.
    for module_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct'])
        except ImportError:  # pragma: no cover - depends on numpy version
            continue
        for name in ('_reconstruct', 'scalar'):
            if hasattr(module, name):
                allowed.append((getattr(module, name),
                                f'{module_name}.{name}'))
    # the dtype classes (numpy.dtypes.Float64DType, ...) of numpy >= 1.25
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in dir(dtypes):
            obj = getattr(dtypes, name)
            if isinstance(obj, type) and issubclass(obj, np.dtype):
                allowed.append(obj)
    return allowed


#: Attributes that mmengine's pickled HistoryBuffer looks up with getattr.
HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')


def restricted_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``getattr`` while unpickling a checkpoint.

    mmengine's ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')`` and so on. A free ``getattr`` would
    let a crafted file walk from any allowed object to ``eval``, so only
    those lookups are answered.

    Args:
        obj (Any): The object of the lookup.
        name (str): The attribute name.

    Returns:
        Any: The HistoryBuffer method.

    Raises:
        pickle.UnpicklingError: For any other lookup.
    """
    if obj is HistoryBuffer and name in HISTORY_BUFFER_METHODS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL getattr({getattr(obj, "__name__", obj)}'
        f', {name!r}) is not an attribute lookup a checkpoint needs.')


def safe_globals() -> List[Any]:
    """The allow-list of classes that a stpredict/mmengine checkpoint holds.

    Returns:
        list: Entries for :func:`torch.serialization.safe_globals`.
    """
    return [
        HistoryBuffer,
        (restricted_getattr, 'builtins.getattr'),
        (restricted_getattr, '__builtin__.getattr'),
    ] + _numpy_globals()


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
            on the allow-list (it could run code); nothing of it is executed.
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


__all__ = [
    'CheckpointError', 'UnsafeCheckpointError', 'safe_globals',
    'safe_torch_load', 'load_local_checkpoint',
    'register_safe_checkpoint_loader', 'is_safe_loader_registered'
]
