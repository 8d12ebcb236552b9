"""Crafted checkpoints that would crash, exhaust or subvert the process.

Each file is built here with :mod:`stpredict.testing.crafted_checkpoint`:
the numpy and mmengine objects that mmengine checkpoints legitimately
hold, given arguments and states of the attacker's choosing. The safe
loader must refuse each, naming the file and the entry, without running
numpy on the crafted data.
"""
import resource
import time

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from stpredict.testing import (Call, StorageRef, tensor_call,
                               write_checkpoint_archive)
from stpredict.utils.checkpoint import UnsafeCheckpointError, safe_torch_load

try:
    from numpy._core.multiarray import _reconstruct
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.multiarray import _reconstruct


def crafted_array(shape, dtype, data):
    """An ndarray pickled the way numpy does, with a crafted state."""
    return Call(_reconstruct, np.ndarray, (0, ), b'b',
                state=(1, shape, dtype, False, data))


def crafted_dtype(code, names=None, fields=None, size=-1):
    return Call(np.dtype, code, False, True,
                state=(3, '|', None, names, fields, size, 1, 0))


def history_buffer(**state):
    full = dict(max_length=10, _log_history=np.array([1.0]),
                _count_history=np.array([1]),
                statistics_methods={
                    name: Call(getattr, HistoryBuffer, name)
                    for name in ('min', 'max', 'current', 'mean')
                })
    full.update(state)
    return Call(HistoryBuffer, state=full)


def checkpoint(**log_scalars):
    return dict(meta=dict(iter=2), state_dict={},
                message_hub=dict(log_scalars=log_scalars))


def refused(tmp_path, obj, records=None, compress=False):
    path = tmp_path / 'crafted.pth'
    write_checkpoint_archive(path, obj, records, compress)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_torch_load(str(path))
    message = str(info.value)
    assert f'"{path}"' in message
    return message


def test_ndarray_called_with_object_dtype_and_raw_bytes(tmp_path):
    # the payload: segfaulted training on resume (rc 139)
    payload = Call(np.ndarray, (5, ), np.dtype('O'), b'A' * 40)
    message = refused(tmp_path, checkpoint(
        **{'train/loss': history_buffer(_log_history=payload)}))
    assert ("checkpoint['message_hub']['log_scalars']['train/loss']"
            '._log_history') in message
    assert 'numpy.ndarray' in message


def test_huge_object_allocation_costs_nothing(tmp_path):
    # ~100 bytes that used to allocate 3.4 GB in every entry point
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    message = refused(tmp_path, dict(
        state_dict={}, x=Call(np.ndarray, (400000000, ), np.dtype('O'))))
    assert time.perf_counter() - start < 2
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss -
                before) / 1024
    assert grown_mb < 100
    assert "checkpoint['x']" in message


def test_object_array_pickled_by_numpy(tmp_path):
    message = refused(tmp_path, dict(
        meta=dict(hist=np.array([1, 'a'], dtype=object))))
    assert "checkpoint['meta']['hist']" in message
    assert 'object dtype' in message


def test_object_dtype_with_raw_bytes_in_reconstruct(tmp_path):
    message = refused(tmp_path, dict(
        a=crafted_array((5, ), np.dtype('O'), b'A' * 40)))
    assert 'object dtype' in message


def test_structured_dtype_with_object_field_and_reset_flags(tmp_path):
    dtype = crafted_dtype('V16', ('a', 'b'), {
        'a': (np.dtype('O'), 0),
        'b': (np.dtype('f8'), 8)
    }, 16)
    message = refused(tmp_path, dict(a=crafted_array((1, ), dtype,
                                                     b'A' * 16)))
    assert "field 'a'" in message and 'object dtype' in message


def test_field_outside_the_item(tmp_path):
    # a field at offset 1000 of an 8-byte item read heap memory
    dtype = crafted_dtype('V8', ('a', ), {'a': (np.dtype('f8'), 1000)}, 8)
    message = refused(tmp_path, dict(a=crafted_array((2, ), dtype,
                                                     b'\0' * 16)))
    assert "field 'a' at offset 1000" in message
    assert 'outside the item of 8 bytes' in message


def test_array_declaring_more_data_than_it_holds(tmp_path):
    message = refused(tmp_path, dict(
        a=crafted_array((100000000, ), np.dtype('f8'), b'\0' * 8)))
    assert 'declares 800000000 bytes but holds 8' in message


def test_scalar_of_object_dtype(tmp_path):
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # pragma: no cover - numpy < 2
        from numpy.core.multiarray import scalar
    message = refused(tmp_path, dict(meta=dict(
        seed=Call(scalar, np.dtype('O'), b'A' * 8))))
    assert "checkpoint['meta']['seed']" in message


def test_tensor_view_declaring_more_than_the_file(tmp_path):
    huge = tensor_call(StorageRef('0', 4), (400000000, ), (0, ))
    message = refused(tmp_path, dict(state_dict=dict(w=huge)),
                      records={'0': b'\0' * 16})
    assert "checkpoint['state_dict']['w']" in message
    assert 'declares 1600000000 bytes' in message


def test_compressed_record_is_refused(tmp_path):
    # a 200 KB file that unpacks to 200 MB of tensor
    numel = 50_000_000
    big = tensor_call(StorageRef('0', numel), (numel, ), (1, ))
    message = refused(tmp_path, dict(state_dict=dict(w=big)),
                      records={'0': b'\0' * (4 * numel)}, compress=True)
    assert 'compressed' in message and 'data/0' in message


def test_history_buffer_cannot_redefine_statistics(tmp_path):
    before = dict(HistoryBuffer._statistics_methods)
    swapped = {'mean': Call(getattr, HistoryBuffer, 'max')}
    message = refused(tmp_path, checkpoint(
        **{'train/loss': history_buffer(statistics_methods=swapped)}))
    assert 'statistics methods' in message
    assert HistoryBuffer._statistics_methods == before
    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    assert buffer.mean() == 2.0


@pytest.mark.parametrize('state', [
    dict(update=1),
    dict(max_length=0),
    dict(_log_history=np.array([[1.0]])),
    dict(_count_history=np.array([1, 2])),
])
def test_history_buffer_other_states(tmp_path, state):
    message = refused(tmp_path, checkpoint(
        **{'train/loss': history_buffer(**state)}))
    assert "['train/loss']" in message


def test_legitimate_numpy_objects_round_trip(tmp_path):
    structured = np.zeros(3, dtype=[('a', '<f8'), ('b', '>i4'),
                                    ('c', 'u1', (2, ))])
    structured['a'] = [1.5, 2.5, 3.5]
    structured['b'] = [-1, 7, 9]
    fortran = np.asfortranarray(np.arange(6, dtype='>f4').reshape(2, 3))
    buffer = HistoryBuffer([1.0, 2.0], [1, 1], max_length=5)
    obj = dict(structured=structured, fortran=fortran, scalar=np.float32(2),
               flags=np.array([True, False]), text=np.array(['ab', 'c']),
               rng=np.random.RandomState(0).get_state(), buffer=buffer,
               shared=(fortran, fortran), tensor=torch.arange(3))
    path = tmp_path / 'good.pth'
    torch.save(obj, path)
    loaded = safe_torch_load(str(path))
    np.testing.assert_array_equal(loaded['structured'], structured)
    assert loaded['structured'].dtype == structured.dtype
    np.testing.assert_array_equal(loaded['fortran'], fortran)
    assert loaded['fortran'].flags.f_contiguous
    assert loaded['fortran'].dtype == np.dtype('>f4')
    assert loaded['scalar'] == 2 and loaded['scalar'].dtype == np.float32
    assert loaded['text'].tolist() == ['ab', 'c']
    np.testing.assert_array_equal(loaded['rng'][1], obj['rng'][1])
    assert loaded['buffer'].mean() == 1.5
    assert loaded['buffer'].max_length == 5
    assert loaded['shared'][0] is loaded['shared'][1]
    loaded['fortran'][0, 0] = 9  # a writable copy
