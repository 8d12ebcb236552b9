"""Hand-built checkpoint files, for tests of the safe loader.

:func:`write_checkpoint_archive` writes a file in ``torch.save``'s zip
layout whose pickle is built from ordinary objects plus :class:`Call`
(any ``GLOBAL`` + ``REDUCE`` [+ ``BUILD``] a crafted file could contain)
and :class:`StorageRef` (a tensor storage that declares its own size).
Nothing is shipped: each test builds the fault it needs.
"""
import io
import os
import pickle
import zipfile
from typing import Any, Dict, Optional, Union

import torch


class Call:
    """Pickles as ``func(*args)`` and, with ``state``, ``BUILD state``.

    ``func`` is written as a ``GLOBAL`` of its module and name, exactly as
    a crafted file would name it (``numpy.ndarray``, ``numpy.dtype``,
    ``builtins.getattr``, ...).

    Args:
        func (Callable): The global to call.
        *args: Its arguments.
        state (Any, optional): The state set on the result. Defaults to
            None (no ``BUILD``).
    """

    def __init__(self, func: Any, *args: Any, state: Any = None) -> None:
        self.func = func
        self.args = args
        self.state = state

    def __reduce__(self):
        if self.state is None:
            return (self.func, self.args)
        return (self.func, self.args, self.state)


class StorageRef:
    """A tensor storage of ``numel`` elements kept in record ``key``.

    Args:
        key (str): The record name under ``data/``.
        numel (int): The declared number of elements.
        storage_type (type): The typed storage class. Defaults to
            ``torch.FloatStorage``.
    """

    def __init__(self, key: str, numel: int,
                 storage_type: Any = torch.FloatStorage) -> None:
        self.key = key
        self.numel = numel
        self.storage_type = storage_type


def tensor_call(storage: StorageRef, size: tuple, stride: tuple,
                offset: int = 0) -> Call:
    """A tensor rebuilt by torch's ``_rebuild_tensor_v2`` over ``storage``.

    Args:
        storage (StorageRef): The storage.
        size (tuple): The declared shape.
        stride (tuple): The declared strides.
        offset (int): The storage offset. Defaults to 0.

    Returns:
        Call: The tensor, for :func:`write_checkpoint_archive`.
    """
    from collections import OrderedDict
    return Call(torch._utils._rebuild_tensor_v2, storage, offset, size,
                stride, False, OrderedDict())


class _Pickler(pickle.Pickler):

    def persistent_id(self, obj: Any) -> Optional[tuple]:
        if isinstance(obj, StorageRef):
            return ('storage', obj.storage_type, obj.key, 'cpu', obj.numel)
        return None


def write_checkpoint_archive(path: Union[str, os.PathLike],
                             obj: Any,
                             records: Optional[Dict[str, bytes]] = None,
                             compress: bool = False) -> None:
    """Write ``obj`` as a file in the layout ``torch.load`` reads.

    Args:
        path (str | os.PathLike): The file to write.
        obj (Any): What the pickle holds (may contain :class:`Call` and
            :class:`StorageRef`).
        records (dict[str, bytes], optional): Tensor data by record key.
            Defaults to None.
        compress (bool): Deflate the tensor records (``torch.save`` never
            does). Defaults to False.
    """
    data = io.BytesIO()
    _Pickler(data, protocol=2).dump(obj)
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
        archive.writestr('archive/data.pkl', data.getvalue())
        archive.writestr('archive/byteorder', 'little')
        archive.writestr('archive/version', '3\n')
        for key, value in (records or {}).items():
            archive.writestr(f'archive/data/{key}', value,
                             compress_type=method)
