"""The allow-list of globals a checkpoint may name, mapped to inert
stand-ins that only record what the file asks for (step 1 of the safe
loader)."""
import pickle
from typing import Any, List

from mmengine.logging.history_buffer import HistoryBuffer

#: Attributes that mmengine's pickled HistoryBuffer looks up with getattr.
HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')


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
