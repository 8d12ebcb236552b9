import os
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint

from stpredict.testing import write_malicious_checkpoint
from stpredict.utils.checkpoint import (CheckpointError, UnsafeCheckpointError,
                                        is_safe_loader_registered,
                                        safe_torch_load)


def mmengine_like_checkpoint():
    buffer = HistoryBuffer()
    buffer.update(0.5)
    return dict(
        meta=dict(epoch=0, iter=10, seed=np.int64(3),
                  hist=np.array([1.0, 2.0])),
        state_dict=OrderedDict(weight=torch.ones(2, 2)),
        message_hub=dict(log_scalars={'train/loss': buffer}),
        optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]))


def test_mmengine_objects_load(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save(mmengine_like_checkpoint(), path)
    loaded = safe_torch_load(str(path))
    assert loaded['meta']['iter'] == 10
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'],
                      HistoryBuffer)
    np.testing.assert_array_equal(loaded['meta']['hist'], [1.0, 2.0])
    # and through mmengine's own entry points
    assert is_safe_loader_registered()
    assert _load_checkpoint(str(path))['meta']['seed'] == 3
    model = torch.nn.Module()
    model.weight = torch.nn.Parameter(torch.zeros(2, 2))
    load_checkpoint(model, str(path))
    assert model.weight.sum().item() == 4


def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    write_malicious_checkpoint(path, marker, state_dict={})

    for load in (safe_torch_load, _load_checkpoint,
                 lambda p: load_checkpoint(torch.nn.Linear(1, 1), p)):
        with pytest.raises(UnsafeCheckpointError) as info:
            load(str(path))
        message = str(info.value)
        assert 'evil.pth' in message and 'pathlib' in message
        assert not marker.exists()


@pytest.mark.parametrize('damage', ['truncate', 'empty', 'garbage'])
def test_corrupt_checkpoint_names_the_file(tmp_path, damage):
    path = tmp_path / 'broken.pth'
    torch.save(mmengine_like_checkpoint(), path)
    data = path.read_bytes()
    if damage == 'truncate':
        path.write_bytes(data[:len(data) // 2])
    elif damage == 'empty':
        path.write_bytes(b'')
    else:
        path.write_bytes(os.urandom(256))
    with pytest.raises(CheckpointError, match='broken.pth'):
        safe_torch_load(str(path))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        safe_torch_load(str(tmp_path / 'nope.pth'))


class WalksToAnyAttribute:
    """getattr is only answered for HistoryBuffer's statistics methods."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


def test_free_getattr_is_refused(tmp_path):
    path = tmp_path / 'gadget.pth'
    torch.save(dict(state_dict={}, gadget=WalksToAnyAttribute()), path)
    with pytest.raises(UnsafeCheckpointError, match='gadget.pth'):
        safe_torch_load(str(path))
