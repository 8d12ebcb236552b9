import os

import numpy as np
import pytest
import torch
from dataset_fixtures import frame_value, write_frames

from stpredict.datasets import RadarEcho

DBZ = dict(type='linear', scale=70.0, offset=-10.0, quantity='dbz')


def save_sequence(path, num_frames, size=(16, 16), first=0):
    """uint8 [T, H, W]; frame t holds frame_value(first + t)."""
    values = np.array([frame_value(first + t) for t in range(num_frames)],
                      np.uint8)
    np.save(path, np.ascontiguousarray(
        np.broadcast_to(values[:, None, None], (num_frames, *size))))


@pytest.fixture(scope='module')
def radar_root(tmp_path_factory):
    """train/: two .npy sequences; val/: folders of png and of per-frame
    .npy frames; test/: one long series of png frames."""
    root = tmp_path_factory.mktemp('radar')
    (root / 'train').mkdir()
    save_sequence(root / 'train' / 'day2.npy', 30)
    save_sequence(root / 'train' / 'day10.npy', 13)
    write_frames(str(root / 'val' / 'event1'), 12, (16, 16),
                 pattern='{:03d}.png')
    event = root / 'val' / 'event2'
    event.mkdir()
    for t in range(12):
        np.save(event / f'{t}.npy', np.full((16, 16), frame_value(t),
                                            np.uint8))
    write_frames(str(root / 'test'), 40, (16, 16), pattern='radar_{}.png',
                 first=0)
    return str(root)


def test_npy_sequences_interval_and_value_transform(radar_root):
    dataset = RadarEcho(data_root=radar_root, input_frames=3, output_frames=2,
                        interval=2, stride=4, value_transform=DBZ)
    # natural order: day2 before day10; span (5 - 1) * 2 + 1 = 9;
    # day2: 30 frames -> starts 0, 4, ..., 20 (6); day10: 13 -> 0, 4 (2)
    assert [r.name for r in dataset.sequences] == ['day2', 'day10']
    assert len(dataset) == 8
    sample = dataset[1]
    inputs = sample['inputs']
    assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (5, 1, 16,
                                                                   16)
    assert inputs[:, 0, 0, 0].tolist() == [
        frame_value(4 + 2 * k) for k in range(5)
    ]
    meta = sample['data_samples'].metainfo
    assert meta['value_transform'] == DBZ
    assert meta['frame_interval'] == 2 and meta['start_frame'] == 4


def test_frame_folders_and_long_series(radar_root):
    val = RadarEcho(data_root=radar_root, split='val', input_frames=3,
                    output_frames=3, image_size=8)
    assert [r.name for r in val.sequences] == ['event1', 'event2']
    assert len(val) == 4
    for index in (1, 3):  # second window of the png and the .npy folder
        frames = val[index]['inputs']
        assert tuple(frames.shape) == (6, 1, 8, 8)
        assert frames[:, 0, 0, 0].tolist() == [
            frame_value(t) for t in range(6, 12)
        ]
    assert 'value_transform' not in val[0]['data_samples'].metainfo
    test = RadarEcho(data_root=radar_root, split='test', input_frames=5,
                     output_frames=5)
    assert len(test.sequences) == 1 and len(test) == 4


def test_chronological_carve_without_split_dirs(tmp_path, radar_root):
    # one long series: blocks of frames in time, windows stay inside
    series = os.path.join(radar_root, 'test')
    blocks = {}
    for split in ('train', 'val', 'test'):
        dataset = RadarEcho(data_root=series, split_dirs=None, split=split,
                            input_frames=1, output_frames=1, stride=1,
                            val_fraction=0.25, test_fraction=0.25)
        frames = set()
        for i in range(len(dataset)):
            values = dataset[i]['inputs'][:, 0, 0, 0].tolist()
            frames.update(values)
        blocks[split] = frames
    assert len(blocks['train']) == 20 and len(blocks['val']) == 10
    assert not blocks['train'] & blocks['val']
    assert not blocks['val'] & blocks['test']
    assert not blocks['train'] & blocks['test']
    # several sequences: the last ones (natural order) are val and test
    for name in ('s1', 's2', 's3', 's10'):
        save_sequence(tmp_path / f'{name}.npy', 4)
    names = {
        split: [r.name for r in RadarEcho(
            data_root=str(tmp_path), split_dirs=None, split=split,
            input_frames=2, output_frames=2).sequences]
        for split in ('train', 'val', 'test')
    }
    assert names == dict(train=['s1', 's2'], val=['s3'], test=['s10'])


def test_errors_name_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='radar_echo.py') as info:
        RadarEcho(data_root=str(tmp_path))
    assert str(tmp_path / 'train') in str(info.value)
    (tmp_path / 'train').mkdir()
    np.save(tmp_path / 'train' / 'a.npy', np.zeros((5, 8, 8), np.float32))
    with pytest.raises(ValueError, match='a.npy'):
        RadarEcho(data_root=str(tmp_path), input_frames=2, output_frames=2)
    (tmp_path / 'train' / 'a.npy').write_bytes(b'broken')
    with pytest.raises(ValueError, match='not a readable .npy'):
        RadarEcho(data_root=str(tmp_path), input_frames=2, output_frames=2)
    with pytest.raises(ValueError, match='value_transform'):
        RadarEcho(data_root=str(tmp_path), value_transform='dbz')
