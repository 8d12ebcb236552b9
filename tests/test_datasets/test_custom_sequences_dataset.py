import numpy as np
import pytest
import torch
from dataset_fixtures import frame_value, write_frames

from stpredict.datasets import ArraySequences, FrameFolderSequences


@pytest.fixture(scope='module')
def folder_root(tmp_path_factory):
    """10 sequences seq0..seq9 of 8 + i frames named 1.png, 2.png, ...,
    10.png (natural order matters)."""
    root = tmp_path_factory.mktemp('custom')
    for i in range(10):
        write_frames(str(root / f'seq{i}'), 8 + i, (10, 12), channels=3,
                     pattern='{}.png')
    return str(root)


def test_frame_folders_split_by_sequence(folder_root):
    names = {}
    for split in ('train', 'val', 'test'):
        dataset = FrameFolderSequences(
            data_root=folder_root, split=split, input_frames=2,
            output_frames=2, stride=1, val_fraction=0.2, test_fraction=0.2)
        names[split] = {r.name for r in dataset.sequences}
        windows = {dataset.get_data_info(i)['sequence_name']
                   for i in range(len(dataset))}
        assert windows == names[split]
    assert [len(names[s]) for s in ('train', 'val', 'test')] == [6, 2, 2]
    assert not names['train'] & names['val']
    assert not names['train'] & names['test']
    assert not names['val'] & names['test']
    # the same seed gives the same carve; ordered carve takes the end
    ordered = FrameFolderSequences(
        data_root=folder_root, split='test', input_frames=2, output_frames=2,
        shuffle_split=False, val_fraction=0.2, test_fraction=0.2)
    assert [r.name for r in ordered.sequences] == ['seq8', 'seq9']


def test_frame_folders_windows_order_and_color(folder_root):
    dataset = FrameFolderSequences(
        data_root=folder_root, split_mode='all', input_frames=3,
        output_frames=2, stride=3, color='rgb', image_size=(6, 8))
    # sequence i has 8 + i frames, span 5, stride 3
    counts = [(8 + i - 5) // 3 + 1 for i in range(10)]
    assert len(dataset) == sum(counts)
    # seq9 has 17 frames: 10.png..17.png follow 9.png
    last = dataset[len(dataset) - 1]
    assert dataset.get_data_info(len(dataset) - 1)['start_frame'] == 12
    inputs = last['inputs']
    assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (5, 3, 6, 8)
    assert inputs[:, 1, 0, 0].tolist() == [
        frame_value(t) for t in range(12, 17)
    ]


def test_frame_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='custom_dataset.md'):
        FrameFolderSequences(data_root=str(tmp_path / 'missing'))
    write_frames(str(tmp_path), 3, pattern='{}.png')
    with pytest.raises(ValueError, match='subfolder'):
        FrameFolderSequences(data_root=str(tmp_path))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='empty'):
        FrameFolderSequences(data_root=str(tmp_path), split_mode='all')
    with pytest.raises(ValueError, match='keep any for training'):
        write_frames(str(tmp_path / 'empty'), 3)
        FrameFolderSequences(data_root=str(tmp_path))


def encoded_array(num, frames, size=(16, 16), channels=None):
    """[N, T, (C,) H, W] uint8: row n, frame t holds 10 * t + n."""
    values = (10 * np.arange(frames)[None, :] + np.arange(num)[:, None])
    shape = (num, frames) + ((channels, ) if channels else ()) + size
    extra = (1, ) * (len(shape) - 2)
    return np.ascontiguousarray(np.broadcast_to(
        values.reshape(num, frames, *extra), shape)).astype(np.uint8)


def test_array_sequences_npy_uint8(tmp_path):
    np.save(tmp_path / 'seqs.npy', encoded_array(10, 12))
    rows = {}
    for split in ('train', 'val', 'test'):
        dataset = ArraySequences(data_file='seqs.npy',
                                 data_root=str(tmp_path), split=split,
                                 input_frames=3, output_frames=3)
        rows[split] = {r.source for r in dataset.sequences}
        assert len(dataset) == 2 * len(rows[split])  # T = 12, span 6
    assert sorted(rows['train'] | rows['val'] | rows['test']) == list(
        range(10))
    assert len(rows['val']) == 1 and len(rows['test']) == 1
    assert not rows['train'] & (rows['val'] | rows['test'])
    sample = dataset[1]
    row = dataset.sequences[0].source
    assert sample['inputs'].dtype == torch.uint8
    assert sample['inputs'][:, 0, 0, 0].tolist() == [
        10 * t + row for t in range(6, 12)
    ]


def test_array_sequences_float_channels_and_value_range(tmp_path):
    array = encoded_array(4, 6, channels=2).astype(np.float32)
    np.savez(tmp_path / 'seqs.npz', frames=array / 255.0,
             other=np.zeros(3))
    dataset = ArraySequences(data_file=str(tmp_path / 'seqs.npz'),
                             key='frames', split_mode='all', input_frames=2,
                             output_frames=2, stride=2, image_size=8)
    assert len(dataset) == 4 * 2
    inputs = dataset[3]['inputs']
    assert inputs.dtype == torch.float32
    assert tuple(inputs.shape) == (4, 2, 8, 8)
    assert inputs[:, 1, 0, 0].tolist() == pytest.approx(
        [(10 * t + 1) / 255 for t in range(2, 6)], abs=1e-6)
    # channels last, values in another range
    np.save(tmp_path / 'dbz.npy',
            array.transpose(0, 1, 3, 4, 2) * 0.25 - 10.0)
    dataset = ArraySequences(data_file=str(tmp_path / 'dbz.npy'),
                             split_mode='all', channels_last=True,
                             value_range=(-10.0, 60.0), input_frames=3,
                             output_frames=3)
    frames = dataset[2]['inputs']
    assert tuple(frames.shape) == (6, 2, 16, 16)
    assert frames[:, 0, 0, 0].tolist() == pytest.approx(
        [(10 * t + 2) * 0.25 / 70 for t in range(6)], abs=1e-6)


def test_array_sequences_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='seqs.npy'):
        ArraySequences(data_file=str(tmp_path / 'seqs.npy'))
    np.save(tmp_path / 'bad.npy', np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r'\[N, T, H, W\]'):
        ArraySequences(data_file=str(tmp_path / 'bad.npy'))
    np.save(tmp_path / 'f.npy', np.full((3, 4, 8, 8), 2.0, np.float32))
    dataset = ArraySequences(data_file=str(tmp_path / 'f.npy'),
                             split_mode='all', input_frames=2,
                             output_frames=2)
    with pytest.raises(ValueError, match='value_range'):
        dataset[0]
    np.save(tmp_path / 'i.npy', np.zeros((3, 4, 8, 8), np.uint16))
    with pytest.raises(ValueError, match='value_range'):
        ArraySequences(data_file=str(tmp_path / 'i.npy'))
    np.savez(tmp_path / 'two.npz', a=np.zeros(1), b=np.zeros(1))
    with pytest.raises(ValueError, match='key'):
        ArraySequences(data_file=str(tmp_path / 'two.npz'))
