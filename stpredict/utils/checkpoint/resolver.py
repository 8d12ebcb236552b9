"""Checking what was unpickled and building the real numpy arrays, scalars
and mmengine HistoryBuffers (step 2 of the safe loader)."""
import math
import re
from collections import OrderedDict
from typing import Any, Dict, Set

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from .allow_list import (_PENDING, HISTORY_BUFFER_METHODS, _ArrayCall,
                         _PendingArray, _PendingDtype, _PendingHistoryBuffer,
                         _PendingScalar)

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
