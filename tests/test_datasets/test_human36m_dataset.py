import pytest
import torch
from dataset_fixtures import frame_value, make_human36m

from stpredict.datasets import Human36M


@pytest.fixture(scope='module')
def h36m_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('h36m')
    # S1, S5 train, S8 val, S9 test; 2 actions, 2 cameras, 10 frames each,
    # numbered 1, 6, 11, ... (a converter run with --every 5)
    make_human36m(str(root), subjects=(1, 5, 8, 9),
                  cameras=('54138969', '55011271'), step=5)
    (root / 'notes.txt').write_text('not a frame')  # ignored
    return str(root)


def test_sequences_windows_and_rgb_frames(h36m_root):
    dataset = Human36M(data_root=h36m_root, input_frames=2, output_frames=2,
                       image_size=8)
    # 2 subjects x 2 actions x 2 cameras = 8 sequences of 10 frames;
    # T = 4, stride 4 -> starts 0, 4 -> 16 windows
    assert len(dataset.sequences) == 8 and len(dataset) == 16
    names = [record.name for record in dataset.sequences]
    assert names[0] == 'S1_Sitting_1.54138969'
    assert 'S5_Walking.55011271' in names
    sample = dataset[1]
    inputs = sample['inputs']
    assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (4, 3, 8, 8)
    # JPEG keeps a constant frame within a level or two
    expected = torch.tensor([frame_value(t) for t in range(4, 8)])
    assert (inputs[:, :, 4, 4].int() - expected[:, None]).abs().max() <= 2
    meta = sample['data_samples'].metainfo
    assert meta['sequence_name'] == 'S1_Sitting_1.54138969'
    info = dataset.get_data_info(1)
    assert info['subject'] == 1 and info['camera'] == '54138969'


def test_splits_by_subject_and_filters(h36m_root):
    subjects = {}
    for split in ('train', 'val', 'test'):
        dataset = Human36M(data_root=h36m_root, split=split, image_size=8)
        subjects[split] = {
            dataset.get_data_info(i)['subject'] for i in range(len(dataset))
        }
    assert subjects == dict(train={1, 5}, val={8}, test={9})
    dataset = Human36M(data_root=h36m_root, actions=('Walking', ),
                       cameras=(55011271, ), input_frames=1, output_frames=1,
                       stride=1, interval=9, image_size=8)
    # span 10 of 10 frames: one window per sequence
    assert len(dataset) == 2
    assert {dataset.get_data_info(i)['action']
            for i in range(2)} == {'Walking'}
    with pytest.raises(ValueError, match='both the train and the test'):
        Human36M(data_root=h36m_root,
                 split_subjects=dict(train=(1, 9), val=(8, ), test=(9, 11)))


def test_missing_and_malformed_files(tmp_path, h36m_root):
    with pytest.raises(FileNotFoundError, match='human36m.py'):
        Human36M(data_root=str(tmp_path / 'missing'))
    make_human36m(str(tmp_path), subjects=(1, ), num_frames=8)
    (tmp_path / 'Walking.54138969_000001.jpg').write_bytes(b'x')
    with pytest.raises(ValueError) as info:
        Human36M(data_root=str(tmp_path))
    assert 'Walking.54138969_000001.jpg' in str(info.value)
    assert 'S<subject>_<Action>.<camera>_<NNNNNN>' in str(info.value)
    # no sequence of the test subjects
    (tmp_path / 'Walking.54138969_000001.jpg').unlink()
    with pytest.raises(ValueError, match="split 'test'"):
        Human36M(data_root=str(tmp_path), split='test')
