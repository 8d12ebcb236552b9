"""Checksums of checkpoints, and what ``--resume auto`` does with damage.

Every checkpoint the Runner saves gets ``PATH.sha256``; loading verifies
it, and ``--resume auto`` skips damaged or unverifiable files and says
which. The work dirs here are built from small files written through the
same backend the Runner uses.
"""
import io
import logging
import os
import shutil
import uuid

import pytest
import torch
from mmengine.logging import MMLogger

from stpredict.testing import write_malicious_checkpoint
from stpredict.utils import atomic_io
from stpredict.utils.atomic_io import (AtomicLocalBackend, checksum_path,
                                       read_checksums, sha256_of_file)
from stpredict.utils.checkpoint import (CheckpointError, ChecksumMismatchError,
                                        UnsafeCheckpointError,
                                        safe_torch_load)
from stpredict.utils.resume import find_resumable_checkpoint


@pytest.fixture
def log():
    """What the current logger logs (a fresh logger that also writes to a
    buffer)."""
    logger = MMLogger.get_instance(f'integrity-{uuid.uuid4().hex}')
    stream = io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    return stream.getvalue


def save(path, step, backend=True):
    """A small checkpoint, as the Runner writes it (through the backend)."""
    buffer = io.BytesIO()
    torch.save(dict(meta=dict(iter=step), state_dict=dict(
        w=torch.full((64, ), float(step)))), buffer)
    if backend:
        AtomicLocalBackend().put(buffer.getvalue(), str(path))
    else:  # an older checkpoint (no checksum file)
        path.write_bytes(buffer.getvalue())


def flip_bytes(path, count=400):
    """Bit rot in the middle of the file (the archive stays readable)."""
    data = bytearray(path.read_bytes())
    start = len(data) - 200 - count  # inside the last tensor record
    for index in range(start, start + count):
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))


def corrupt_pickle(path):
    data = bytearray(path.read_bytes())
    index = data.find(b'state_dict')
    data[index - 3:index + 10] = b'\xff' * 13
    path.write_bytes(bytes(data))


def work_dir(tmp_path, steps=(2, 4, 6), backend=True):
    for step in steps:
        save(tmp_path / f'iter_{step}.pth', step, backend)
    (tmp_path / 'last_checkpoint').write_text(f'iter_{steps[-1]}.pth')
    return tmp_path


def test_checksum_written_and_verified(tmp_path):
    path = tmp_path / 'iter_2.pth'
    save(path, 2)
    digests = read_checksums(path)
    assert digests == [sha256_of_file(path)]
    # the format of sha256sum, so `sha256sum -c iter_2.pth.sha256` works
    assert open(checksum_path(path)).read() == f'{digests[0]}  iter_2.pth\n'
    assert safe_torch_load(str(path))['meta']['iter'] == 2
    flip_bytes(path)
    with pytest.raises(ChecksumMismatchError) as info:
        safe_torch_load(str(path))
    assert f'"{path}" does not match its checksum' in str(info.value)
    # removing a checkpoint through the backend removes its checksum
    AtomicLocalBackend().remove(str(path))
    assert not os.path.exists(checksum_path(path))


def test_unreadable_checksum_file(tmp_path):
    path = tmp_path / 'iter_2.pth'
    save(path, 2)
    open(checksum_path(path), 'w').write('not a checksum\n')
    with pytest.raises(ChecksumMismatchError, match='cannot be verified'):
        safe_torch_load(str(path))


def test_older_checkpoint_without_checksum_loads_and_says_so(
        tmp_path, log):
    path = tmp_path / 'old.pth'
    save(path, 2, backend=False)
    assert safe_torch_load(str(path))['meta']['iter'] == 2
    assert 'has no checksum file' in log()


def test_replacing_a_file_is_verifiable_at_every_moment(tmp_path,
                                                        monkeypatch):
    path = tmp_path / 'best.pth'
    save(path, 2)
    real = atomic_io.atomic_write
    calls = []

    def dies_after_the_checksum(data, target, **kwargs):
        calls.append(target)
        real(data, target, **kwargs)
        if len(calls) == 1:
            raise KeyboardInterrupt  # killed between the two writes

    monkeypatch.setattr(atomic_io, 'atomic_write', dies_after_the_checksum)
    with pytest.raises(KeyboardInterrupt):
        save(path, 4)
    monkeypatch.undo()
    # the checksum file accepts the old content (still in place) ...
    assert len(read_checksums(path)) == 2
    assert safe_torch_load(str(path))['meta']['iter'] == 2
    # ... and, once replaced, the new one only
    save(path, 4)
    assert len(read_checksums(path)) == 1
    assert safe_torch_load(str(path))['meta']['iter'] == 4


def test_resume_auto_skips_a_damaged_newest(tmp_path, log):
    root = work_dir(tmp_path)
    flip_bytes(root / 'iter_6.pth')
    assert find_resumable_checkpoint(str(root)) == str(root / 'iter_4.pth')
    out = log()
    assert f'skipping "{root / "iter_6.pth"}": it does not match its ' \
        'checksum' in out
    assert 'the newest intact checkpoint (skipped 1: iter_6.pth)' in out


def test_resume_auto_skips_an_unverifiable_newest(tmp_path, log):
    root = work_dir(tmp_path)
    os.remove(checksum_path(root / 'iter_6.pth'))
    save(root / 'iter_8.pth', 8, backend=False)  # copied in without one
    (root / 'last_checkpoint').write_text('iter_8.pth')
    assert find_resumable_checkpoint(str(root)) == str(root / 'iter_4.pth')
    assert 'cannot be verified' in log()


def test_resume_auto_skips_a_corrupt_pickle_without_checksums(
        tmp_path, log):
    # a work dir of an older run: no checksum files at all
    root = work_dir(tmp_path, backend=False)
    corrupt_pickle(root / 'iter_6.pth')
    assert find_resumable_checkpoint(str(root)) == str(root / 'iter_4.pth')
    assert 'it cannot be loaded' in log()


def test_resume_auto_refuses_when_nothing_is_intact(tmp_path):
    root = work_dir(tmp_path, steps=(2, ))
    flip_bytes(root / 'iter_2.pth')
    with pytest.raises(CheckpointError, match='none is intact'):
        find_resumable_checkpoint(str(root))


def test_resume_auto_does_not_skip_a_crafted_file(tmp_path):
    marker = tmp_path / 'pwned'
    write_malicious_checkpoint(tmp_path / 'iter_2.pth', marker,
                               state_dict={})
    with pytest.raises(UnsafeCheckpointError):
        find_resumable_checkpoint(str(tmp_path))
    assert not marker.exists()


def test_orphan_checksums_are_removed(tmp_path):
    root = work_dir(tmp_path, steps=(2, ))
    open(checksum_path(root / 'iter_4.pth'), 'w').write('0' * 64 + '\n')
    find_resumable_checkpoint(str(root))
    assert not os.path.exists(checksum_path(root / 'iter_4.pth'))
    assert os.path.exists(checksum_path(root / 'iter_2.pth'))


def test_copied_work_dir_resumes_from_its_own_files(tmp_path):
    (tmp_path / 'run').mkdir()
    original = work_dir(tmp_path / 'run', steps=(2, 4))
    copy = tmp_path / 'copy'
    shutil.copytree(original, copy)
    # stpredict records the name relative to the work dir ...
    assert find_resumable_checkpoint(str(copy)) == str(copy / 'iter_4.pth')
    # ... and older absolute records still read, from the copy's own file
    (copy / 'last_checkpoint').write_text(str(original / 'iter_4.pth'))
    assert find_resumable_checkpoint(str(copy)) == str(copy / 'iter_4.pth')
    # a record relative to the launch directory (mmengine's default)
    (copy / 'last_checkpoint').write_text('work_dirs/run/iter_2.pth')
    assert find_resumable_checkpoint(str(copy)) == str(copy / 'iter_2.pth')
