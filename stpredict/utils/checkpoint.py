"""Safe checkpoint loading under current PyTorch.

PyTorch >= 2.6 loads checkpoints with ``weights_only=True``: unpickling may
only rebuild tensors, containers and an allow-list of classes. mmengine
0.10.x stores a few of its own objects in the checkpoints it writes (the
message hub's ``HistoryBuffer``, numpy arrays and scalars), so its resume and
``load_from`` fail out of the box. Turning ``weights_only`` off would let any
checkpoint file run arbitrary code on load.

Allowing numpy's own constructors is not safe either: a file could call
``numpy.ndarray`` with arguments of its choosing (an object array whose
"pointers" are bytes of the file, a 400-million-item allocation, a
structured dtype whose field lies outside the item). So stpredict unpickles
in two steps:

1. ``torch.load(weights_only=True)`` with inert stand-ins in place of
   ``numpy.ndarray``, ``numpy.dtype``, numpy's ``_reconstruct`` and
   ``scalar`` and mmengine's ``HistoryBuffer``: they only record the
   arguments and the state the file gives them; nothing of numpy or
   mmengine runs on data of the file;
2. a walk over the loaded object checks every recorded piece - plain
   numeric dtypes only (no object dtypes, no object fields, every field
   inside its item), arrays whose data is exactly as long as their shape
   declares, tensors that do not declare more bytes than the file holds,
   HistoryBuffer states exactly as mmengine writes them - and only then
   builds the real arrays, scalars and buffers. A refusal names the file
   and the entry (``message_hub.log_scalars['train/loss']._log_history``).

Before that, the file is checked against its checksum file
(``PATH.sha256``, written with every checkpoint by
:mod:`stpredict.utils.atomic_io`): a file changed or damaged after it was
written is refused with :class:`ChecksumMismatchError`. Files without one
(older checkpoints, files of other tools) load, with a warning in the log.
It must also be a ``torch.save`` zip archive whose records
are stored uncompressed (as ``torch.save`` writes them): a compressed record
could unpack to far more memory than the file holds.

:func:`load_local_checkpoint` is registered as mmengine's loader for local
paths, so ``load_from``, ``resume``, :func:`mmengine.runner.load_checkpoint`
and stpredict's own tools all go through it.
"""

import fnmatch
import logging
import math
import os.path as osp
import pickle
import re
import zipfile
from collections import OrderedDict
from typing import (Any, Callable, Dict, List, Optional, Sequence, Set,
                    Union)

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .atomic_io import checksum_path, read_checksums, sha256_of_file


class CheckpointError(RuntimeError):
    """A checkpoint file could not be loaded (corrupt, truncated, unsafe)."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint file asks to rebuild an object outside the allow-list."""


class ChecksumMismatchError(CheckpointError):
    """A checkpoint file does not match the checksum written with it."""


class WeightsMismatchError(CheckpointError):
    """A checkpoint's weights do not fit the model they are loaded into."""


#: Attributes that mmengine's pickled HistoryBuffer looks up with getattr.
HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')

#: The attributes a pickled HistoryBuffer holds (mmengine 0.10).
HISTORY_BUFFER_STATE = ('max_length', '_log_history', '_count_history',
                        'statistics_methods')

#: How deeply containers may nest in a checkpoint.
MAX_DEPTH = 64

#: numpy type codes that the loader rebuilds: booleans, integers, floats,
#: complex numbers, fixed-width bytes/unicode and (structured) void items.
#: No object ('O') dtypes: their items are memory addresses.
_TYPE_CODE = re.compile(r'^(b1|[iu][1248]|f(2|4|8|10|12|16)|c(8|16|20|24|32)'
                        r'|[SUV][1-9][0-9]*)$')

#: numpy array kinds a HistoryBuffer may hold.
_NUMERIC_KINDS = 'biuf'


# ----------------------------------------------------------------------
# inert stand-ins used while unpickling
# ----------------------------------------------------------------------
class _Recorded:
    """Base of the stand-ins: they record what the file asks for."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _ArrayCall(_Recorded):
    """``numpy.ndarray`` called (or NEWOBJ'ed) with the file's arguments.

    numpy itself never pickles arrays this way; an instance is refused when
    the loaded object is checked, naming the entry. As the first argument of
    ``_reconstruct`` the class only marks "an ndarray".
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> '_ArrayCall':
        self = object.__new__(cls)
        self.args = args
        self.state = None
        return self


class _PendingDtype(_Recorded):
    """``numpy.dtype(code, align, copy)`` plus the state the file sets."""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state = None


class _PendingArray(_Recorded):
    """``numpy._reconstruct(ndarray, shape, typecode)`` plus its state."""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state = None


class _PendingScalar(_Recorded):
    """``numpy.core.multiarray.scalar(dtype, data)``."""

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state = None


class _PendingHistoryBuffer(_Recorded):
    """mmengine's ``HistoryBuffer`` before its state is checked."""

    def __new__(cls, *args: Any, **kwargs: Any) -> '_PendingHistoryBuffer':
        self = object.__new__(cls)
        self.args = args
        self.state = None
        return self


_PENDING = (_ArrayCall, _PendingDtype, _PendingArray, _PendingScalar,
            _PendingHistoryBuffer)


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
    if obj in (HistoryBuffer, _PendingHistoryBuffer) and \
            name in HISTORY_BUFFER_METHODS:
        return getattr(HistoryBuffer, name)
    shown = 'HistoryBuffer' if obj is _PendingHistoryBuffer else getattr(
        obj, '__name__', obj)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL getattr({shown}, {name!r}) is not an '
        'attribute lookup a checkpoint needs.')


def safe_globals() -> List[Any]:
    """The allow-list of globals that a stpredict/mmengine checkpoint uses.

    The numpy and mmengine names map to inert stand-ins; only
    :func:`safe_torch_load` turns them into real objects, after checking
    them. Use that function rather than ``torch.load`` with this list.

    Returns:
        list: Entries for :func:`torch.serialization.safe_globals`.
    """
    allowed: List[Any] = [
        (_PendingHistoryBuffer,
         'mmengine.logging.history_buffer.HistoryBuffer'),
        (restricted_getattr, 'builtins.getattr'),
        (restricted_getattr, '__builtin__.getattr'),
        (_ArrayCall, 'numpy.ndarray'),
        (_PendingDtype, 'numpy.dtype'),
    ]
    # numpy>=2 moved ``core`` to ``_core``; pickles name whichever wrote them.
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        allowed.append((_PendingArray, f'{module}._reconstruct'))
        allowed.append((_PendingScalar, f'{module}.scalar'))
    return allowed


# ----------------------------------------------------------------------
# checking what was unpickled, and building the real objects
# ----------------------------------------------------------------------
class _Refused(Exception):
    """An entry of the checkpoint is refused (carries its path)."""

    def __init__(self, entry: str, reason: str) -> None:
        super().__init__(entry, reason)
        self.entry = entry
        self.reason = reason


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Resolver:
    """Walks an unpickled checkpoint, checks it and builds the real objects.

    Args:
        file_bytes (int): Size of the checkpoint file: no tensor may declare
            more bytes than that.
    """

    def __init__(self, file_bytes: int) -> None:
        self.file_bytes = file_bytes
        # id -> (original, result): the originals stay referenced so that
        # their ids are not reused while the walk runs
        self.done: Dict[Any, Any] = {}
        self.active: Set[int] = set()

    # -- containers -----------------------------------------------------
    def resolve(self, obj: Any, entry: str, depth: int = 0) -> Any:
        """The checked, real version of ``obj`` (found at ``entry``)."""
        if obj is None or isinstance(obj, (bool, int, float, complex, str,
                                           bytes)):
            return obj
        key = id(obj)
        if key in self.done:
            return self.done[key][1]
        if depth > MAX_DEPTH:
            raise _Refused(entry, f'nests deeper than {MAX_DEPTH} levels')
        if key in self.active:
            raise _Refused(entry, 'contains itself (a reference cycle)')
        self.active.add(key)
        try:
            result = self._resolve(obj, entry, depth)
        finally:
            self.active.discard(key)
        self.done[key] = (obj, result)
        return result

    def _resolve(self, obj: Any, entry: str, depth: int) -> Any:
        if isinstance(obj, torch.Tensor):
            self._check_tensor(obj, entry)
            return obj
        if type(obj) in (dict, OrderedDict):
            for name in list(obj):
                if isinstance(name, _PENDING):
                    raise _Refused(entry, 'has a numpy or mmengine object '
                                   'as a dict key')
                obj[name] = self.resolve(obj[name], f'{entry}[{name!r}]',
                                         depth + 1)
            return obj
        if type(obj) is list:
            for index, value in enumerate(obj):
                obj[index] = self.resolve(value, f'{entry}[{index}]',
                                          depth + 1)
            return obj
        if type(obj) is tuple:
            return tuple(
                self.resolve(value, f'{entry}[{index}]', depth + 1)
                for index, value in enumerate(obj))
        if type(obj) in (set, frozenset):
            return type(obj)(
                self.resolve(value, f'{entry}{{...}}', depth + 1)
                for value in obj)
        if isinstance(obj, _ArrayCall):
            raise _Refused(
                entry, f'calls numpy.ndarray{self._short(obj.args)} '
                'directly, which numpy never writes (it could build an '
                'object array from bytes of the file, or allocate without '
                'bound)')
        if isinstance(obj, _PendingArray):
            return self._array(obj, entry)
        if isinstance(obj, _PendingScalar):
            return self._scalar(obj, entry)
        if isinstance(obj, _PendingDtype):
            return self._dtype(obj, entry)
        if isinstance(obj, _PendingHistoryBuffer):
            return self._history_buffer(obj, entry, depth)
        # anything else torch's safe loader built (torch.Size, dtypes, ...)
        return obj

    @staticmethod
    def _short(args: Any) -> str:
        text = repr(args)
        return text if len(text) <= 80 else text[:77] + '...'

    # -- tensors --------------------------------------------------------
    def _check_tensor(self, tensor: torch.Tensor, entry: str) -> None:
        try:
            declared = tensor.numel() * tensor.element_size()
        except RuntimeError:  # pragma: no cover - exotic tensor types
            return
        if declared > self.file_bytes:
            raise _Refused(
                entry, f'is a tensor of shape {tuple(tensor.shape)} that '
                f'declares {declared} bytes, more than the whole file '
                f'({self.file_bytes} bytes) holds (a crafted view that '
                'repeats a small storage)')

    # -- numpy ----------------------------------------------------------
    def _dtype(self, pending: Any, entry: str,
               allow_subarray: bool = False) -> np.dtype:
        if not isinstance(pending, _PendingDtype):
            raise _Refused(entry, f'gives {type(pending).__name__} where a '
                           'numpy dtype belongs')
        key = (id(pending), allow_subarray)
        if key in self.done:
            return self.done[key][1]
        args = pending.args
        code = args[0] if args else None
        if code in ('O', 'O8', 'O4'):
            raise _Refused(entry, 'has the object dtype (\'O\'): its items '
                           'would be memory addresses taken from the file')
        if not isinstance(code, str) or not _TYPE_CODE.match(code):
            raise _Refused(entry, f'has the numpy dtype {code!r}, which is '
                           'not a plain number, bytes or structured type')
        state = pending.state
        if state is None:
            dtype = np.dtype(code)
        else:
            dtype = self._dtype_from_state(code, state, entry)
        if dtype.hasobject:  # pragma: no cover - excluded above
            raise _Refused(entry, 'has a dtype that holds Python objects')
        if dtype.subdtype is not None and not allow_subarray:
            raise _Refused(entry, 'has a sub-array dtype outside a field')
        if dtype.itemsize == 0:
            raise _Refused(entry, 'has a dtype of 0 bytes')
        self.done[key] = (pending, dtype)
        return dtype

    def _dtype_from_state(self, code: str, state: Any,
                          entry: str) -> np.dtype:
        if not (isinstance(state, tuple) and len(state) == 8
                and state[0] == 3):
            raise _Refused(entry, f'sets the dtype state {self._short(state)}'
                           ', which numpy does not write')
        _, order, subarray, names, fields, size, _, _ = state
        if order not in ('<', '>', '|', '='):
            raise _Refused(entry, f'has the byte order {order!r}')
        if subarray is not None:
            if names is not None or fields is not None or not (
                    isinstance(subarray, tuple) and len(subarray) == 2):
                raise _Refused(entry, 'has a malformed sub-array dtype')
            base = self._dtype(subarray[0], f'{entry} (sub-array)')
            shape = subarray[1]
            shape = (shape, ) if _is_int(shape) else shape
            if not (isinstance(shape, tuple) and len(shape) <= 32
                    and all(_is_int(n) and n >= 0 for n in shape)):
                raise _Refused(entry, f'has the sub-array shape {shape!r}')
            dtype = np.dtype((base, shape))
            if not code.startswith('V') or dtype.itemsize != int(code[1:]):
                raise _Refused(entry, 'has a sub-array dtype whose size '
                               'does not match its type code')
            return dtype
        if names is None and fields is None:
            dtype = np.dtype(code)
            if order in '<>' and dtype.byteorder != '|':
                dtype = dtype.newbyteorder(order)
            return dtype
        return self._structured(code, names, fields, size, entry)

    def _structured(self, code: str, names: Any, fields: Any, size: Any,
                    entry: str) -> np.dtype:
        if not code.startswith('V') or not _is_int(size) or \
                size != int(code[1:]):
            raise _Refused(entry, f'has a structured dtype of {size!r} bytes '
                           f'with the type code {code!r}')
        if not (isinstance(names, tuple) and isinstance(fields, dict)
                and all(isinstance(name, str) for name in names)
                and len(set(names)) == len(names)
                and set(names) == set(fields)):
            raise _Refused(entry, 'has a structured dtype whose names and '
                           'fields disagree')
        formats, offsets = [], []
        for name in names:
            field = fields[name]
            if not (isinstance(field, tuple) and len(field) == 2):
                raise _Refused(entry, f'has the field {name!r} with a title '
                               'or a malformed description')
            where = f'{entry} (field {name!r})'
            dtype = self._dtype(field[0], where, allow_subarray=True)
            offset = field[1]
            if not _is_int(offset) or offset < 0 or \
                    offset + dtype.itemsize > size:
                raise _Refused(
                    entry, f'has the field {name!r} at offset {offset!r} '
                    f'with {dtype.itemsize} bytes, outside the item of '
                    f'{size} bytes (it would read memory beyond the data)')
            formats.append(dtype)
            offsets.append(offset)
        return np.dtype(
            dict(names=list(names), formats=formats, offsets=offsets,
                 itemsize=size))

    def _array(self, pending: _PendingArray, entry: str) -> np.ndarray:
        if not pending.args or pending.args[0] is not _ArrayCall:
            raise _Refused(entry, 'rebuilds an array of a class other than '
                           'numpy.ndarray')
        state = pending.state
        if not (isinstance(state, tuple) and len(state) == 5
                and state[0] == 1):
            raise _Refused(entry, 'is a numpy array with the state '
                           f'{self._short(state)}, which numpy does not '
                           'write')
        _, shape, dtype, fortran, data = state
        if not (isinstance(shape, tuple) and len(shape) <= 32
                and all(_is_int(n) and n >= 0 for n in shape)):
            raise _Refused(entry, f'is a numpy array of shape {shape!r}')
        dtype = self._dtype(dtype, entry)
        if isinstance(data, list):
            raise _Refused(entry, 'is a numpy array of Python objects')
        if not isinstance(data, bytes) or not isinstance(fortran, bool):
            raise _Refused(entry, 'is a numpy array without raw data')
        count = math.prod(shape)
        declared = count * dtype.itemsize
        if declared != len(data):
            raise _Refused(
                entry, f'is a numpy array of shape {shape} and dtype '
                f'{dtype} that declares {declared} bytes but holds '
                f'{len(data)}')
        array = np.frombuffer(data, dtype=dtype, count=count)
        return array.reshape(shape, order='F' if fortran else 'C').copy(
            order='A')

    def _scalar(self, pending: _PendingScalar, entry: str) -> Any:
        if len(pending.args) != 2 or pending.state is not None:
            raise _Refused(entry, 'is a numpy scalar built with '
                           f'{len(pending.args)} arguments')
        dtype = self._dtype(pending.args[0], entry)
        data = pending.args[1]
        if not isinstance(data, bytes) or len(data) != dtype.itemsize:
            raise _Refused(entry, f'is a numpy {dtype} scalar without its '
                           f'{dtype.itemsize} bytes of data')
        return np.frombuffer(data, dtype=dtype, count=1)[0].copy()

    def _history_buffer(self, pending: _PendingHistoryBuffer, entry: str,
                        depth: int) -> HistoryBuffer:
        state = pending.state
        if pending.args or type(state) is not dict:
            raise _Refused(entry, 'is a HistoryBuffer not pickled the way '
                           'mmengine pickles it')
        unknown = sorted(map(str, set(state) - set(HISTORY_BUFFER_STATE)))
        missing = [key for key in HISTORY_BUFFER_STATE[:3] if key not in state]
        if unknown or missing:
            raise _Refused(
                entry, f'is a HistoryBuffer with the attributes '
                f'{sorted(map(str, state))}; mmengine writes exactly '
                f'{list(HISTORY_BUFFER_STATE)}')
        methods = state.get('statistics_methods', {})
        expected = {name: getattr(HistoryBuffer, name)
                    for name in HISTORY_BUFFER_METHODS}
        if type(methods) is not dict or any(
                expected.get(name) is not method
                for name, method in methods.items()):
            raise _Refused(
                entry, 'is a HistoryBuffer that redefines its statistics '
                'methods (it would change every HistoryBuffer of the '
                'process); mmengine writes only min, max, current and '
                'mean, each under its own name')
        max_length = state['max_length']
        if not _is_int(max_length) or max_length < 1:
            raise _Refused(entry, f'is a HistoryBuffer with max_length='
                           f'{max_length!r}')
        arrays = []
        for key in ('_log_history', '_count_history'):
            value = self.resolve(state[key], f'{entry}.{key}', depth + 1)
            if not isinstance(value, np.ndarray) or value.ndim != 1 or \
                    value.dtype.kind not in _NUMERIC_KINDS or \
                    len(value) > max_length:
                raise _Refused(
                    f'{entry}.{key}', 'is not a 1-d numeric array of at '
                    f'most max_length={max_length} values')
            arrays.append(value)
        if len(arrays[0]) != len(arrays[1]):
            raise _Refused(entry, 'is a HistoryBuffer whose value and count '
                           'histories differ in length')
        buffer = HistoryBuffer.__new__(HistoryBuffer)
        # the class-wide table of the four built-in statistics, as
        # HistoryBuffer.__init__ sets it up; the file's table is not used
        buffer._set_default_statistics()
        buffer.__dict__.update(
            max_length=max_length, _log_history=arrays[0],
            _count_history=arrays[1])
        return buffer


# ----------------------------------------------------------------------
# the loader
# ----------------------------------------------------------------------
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


def weights_mismatch(model: torch.nn.Module,
                     state_dict: Dict[str, Any],
                     allow_missing: Sequence[str] = (),
                     allow_unexpected: Sequence[str] = (),
                     allow_mismatched: Sequence[str] = ()
                     ) -> Dict[str, List[str]]:
    """Missing, unexpected and mis-shaped weights of a state dict.

    Keys that match a pattern (``fnmatch``, e.g. ``'head.*'``) of the
    corresponding ``allow_*`` list are not reported.

    Args:
        model (nn.Module): The model the weights are for.
        state_dict (dict): The weights (without DDP's ``module.`` prefix).
        allow_missing (Sequence[str]): Model keys the file may lack.
        allow_unexpected (Sequence[str]): File keys the model may lack.
        allow_mismatched (Sequence[str]): Keys whose shapes may differ.

    Returns:
        dict: ``missing``, ``unexpected`` and ``mismatched`` key lists
        (``mismatched`` entries read ``'key: checkpoint (..) vs model (..)'``).
    """

    def allowed(key: str, patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)

    own = model.state_dict()
    missing = [
        key for key in own
        if key not in state_dict and not allowed(key, allow_missing)
    ]
    unexpected = [
        key for key in state_dict
        if key not in own and not allowed(key, allow_unexpected)
    ]
    mismatched = []
    for key, value in own.items():
        other = state_dict.get(key)
        if isinstance(other, torch.Tensor) and isinstance(
                value, torch.Tensor) and other.shape != value.shape and \
                not allowed(key, allow_mismatched):
            mismatched.append(f'{key}: checkpoint {tuple(other.shape)} vs '
                              f'model {tuple(value.shape)}')
    return dict(missing=missing, unexpected=unexpected, mismatched=mismatched)


def describe_mismatch(problems: Dict[str, List[str]], limit: int = 8) -> str:
    """``problems`` of :func:`weights_mismatch` as one line of text.

    Args:
        problems (dict): The key lists.
        limit (int): At most this many keys per list. Defaults to 8.

    Returns:
        str: e.g. ``"2 missing: ['a', 'b']; 1 of another shape: [...]"``.
    """
    parts = []
    for name, label in (('missing', 'missing'), ('unexpected', 'unexpected'),
                        ('mismatched', 'of another shape')):
        keys = problems.get(name) or []
        if keys:
            more = f' (+{len(keys) - limit} more)' if len(keys) > limit \
                else ''
            parts.append(f'{len(keys)} {label}: {keys[:limit]}{more}')
    return '; '.join(parts)


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
    'CheckpointError', 'ChecksumMismatchError', 'UnsafeCheckpointError',
    'WeightsMismatchError', 'verify_checksum',
    'describe_mismatch', 'weights_mismatch', 'safe_globals',
    'safe_torch_load', 'load_local_checkpoint',
    'register_safe_checkpoint_loader', 'is_safe_loader_registered'
]
