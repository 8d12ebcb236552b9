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

One module per concept: ``errors``, ``allow_list`` (the stand-ins, step 1),
``resolver`` (the check and the real objects, step 2), ``loading`` (the
loader and its registration) and ``mismatch`` (weights that do not fit a
model).
"""
from .allow_list import safe_globals
from .errors import (CheckpointError, ChecksumMismatchError,
                     UnsafeCheckpointError, WeightsMismatchError)
from .loading import (is_safe_loader_registered, load_local_checkpoint,
                      register_safe_checkpoint_loader, safe_torch_load,
                      verify_checksum)
from .mismatch import describe_mismatch, weights_mismatch

__all__ = [
    'CheckpointError', 'ChecksumMismatchError', 'UnsafeCheckpointError',
    'WeightsMismatchError', 'verify_checksum',
    'describe_mismatch', 'weights_mismatch', 'safe_globals',
    'safe_torch_load', 'load_local_checkpoint',
    'register_safe_checkpoint_loader', 'is_safe_loader_registered'
]
