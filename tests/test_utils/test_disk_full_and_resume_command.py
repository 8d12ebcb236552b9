"""A full disk names the file, the bytes needed and the bytes free, and
leaves the files there intact; the resume command of a stopped run."""
import errno
import os

import pytest

from stpredict.engine.hooks.stop_signal_hook import resume_command
from stpredict.utils import atomic_io
from stpredict.utils.atomic_io import (AtomicLocalBackend, DiskFullError,
                                       atomic_write, checksum_path)


def test_no_room_is_refused_before_writing(tmp_path, monkeypatch):
    path = tmp_path / 'iter_8.pth'
    monkeypatch.setattr(atomic_io, 'free_bytes', lambda directory: 1000)
    with pytest.raises(DiskFullError) as info:
        AtomicLocalBackend().put(b'x' * 50000, str(path))
    message = str(info.value)
    assert f'No space left to write {path}: it needs 50000 bytes and ' \
        f'1000 bytes are free in {tmp_path}' in message
    assert 'max_keep_ckpts' in message and '--resume auto' in message
    assert info.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []  # no checksum, no temporary


def test_disk_filling_up_while_writing(tmp_path, monkeypatch):
    path = tmp_path / 'iter_8.pth'
    AtomicLocalBackend().put(b'old checkpoint', str(path))

    def no_space(descriptor):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'fsync', no_space)
    with pytest.raises(DiskFullError, match='it needs 9000 bytes'):
        atomic_write(b'n' * 9000, str(path))
    monkeypatch.undo()
    assert path.read_bytes() == b'old checkpoint'
    assert sorted(os.listdir(tmp_path)) == [
        'iter_8.pth', os.path.basename(checksum_path(path))]


@pytest.mark.parametrize('argv, expected', [
    (['tools/train.py', 'c.py', '--work-dir', 'w'],
     'python tools/train.py c.py --work-dir w --resume auto'),
    (['tools/train.py', 'c.py', '--resume', 'w/iter_2.pth', '--cfg-options',
      'a=1'], 'python tools/train.py c.py --resume auto --cfg-options a=1'),
    (['tools/train.py', 'c.py', '--resume', '--amp'],
     'python tools/train.py c.py --amp --resume auto'),
])
def test_resume_command(argv, expected):
    assert resume_command(argv) == expected
