"""tools/train.py writes a checksum with every checkpoint; test and resume
verify it (400 flipped bytes used to resume with rc 0, weights off by
2e37)."""
import os
import os.path as osp

from tool_runner import FAST_OPTIONS, PYTHON, TINY_CONFIG, run_tool

from stpredict.utils.atomic_io import checksum_path, sha256_of_file


def flip_bytes(path, count=400):
    with open(path, 'r+b') as file:
        file.seek(os.path.getsize(path) // 2)
        data = bytearray(file.read(count))
        file.seek(os.path.getsize(path) // 2)
        file.write(bytes(b ^ 0xFF for b in data))


def test_checksums_written_verified_and_damage_skipped(tmp_path):
    work_dir = str(tmp_path)
    run_tool(PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', work_dir,
             '--cfg-options', *FAST_OPTIONS, 'train_cfg.max_iters=6')
    names = sorted(os.listdir(work_dir))
    checkpoints = [name for name in names if name.endswith('.pth')]
    assert {'iter_4.pth', 'iter_6.pth'} <= set(checkpoints)
    assert any(name.startswith('best_') for name in checkpoints)
    for name in checkpoints:  # every checkpoint has a matching checksum
        path = osp.join(work_dir, name)
        with open(checksum_path(path)) as file:
            assert file.read() == f'{sha256_of_file(path)}  {name}\n'
    # the checksums of retired checkpoints went with them
    assert sorted(n for n in names if n.endswith('.sha256')) == sorted(
        f'{name}.sha256' for name in checkpoints)
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        assert file.read() == 'iter_6.pth'  # relative to the work dir

    damaged = osp.join(work_dir, 'iter_6.pth')
    flip_bytes(damaged)
    code, log = run_tool(PYTHON, 'tools/test.py', TINY_CONFIG, damaged,
                         '--work-dir', str(tmp_path / 'test'),
                         '--cfg-options', *FAST_OPTIONS, check=False)
    assert code != 0
    assert 'ChecksumMismatchError' in log
    assert f'"{damaged}" does not match its checksum' in log

    _, log = run_tool(PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir',
                      work_dir, '--resume', 'auto', '--cfg-options',
                      *FAST_OPTIONS, 'train_cfg.max_iters=8')
    assert f'skipping "{damaged}": it does not match its checksum' in log
    assert 'resumed epoch: 0, iter: 4' in log
    assert osp.exists(osp.join(work_dir, 'iter_8.pth'))
