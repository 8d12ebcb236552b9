import os
import os.path as osp

import pytest
import torch
from dataset_fixtures import frame_value, make_kth, write_frames

from stpredict.datasets import KTH
from stpredict.registry import DATASETS


@pytest.fixture(scope='module')
def kth_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('kth'))
    # persons 1, 2 (train), 15 (val), 17 (test); 24 frames per video
    make_kth(root, persons=(1, 2, 15, 17))
    return root


def test_windows_frame_order_and_shapes(kth_root):
    dataset = KTH(data_root=kth_root, actions=('walking', ), input_frames=3,
                  output_frames=2, image_size=8)
    # persons 1 and 2: 24 frames, T = 5, default stride 5 -> starts 0..15
    assert len(dataset) == 2 * 4
    assert [dataset.get_data_info(i)['start_frame'] for i in range(4)] == [
        0, 5, 10, 15
    ]
    sample = dataset[1]
    inputs = sample['inputs']
    assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (5, 1, 8, 8)
    expected = [frame_value(t) for t in range(5, 10)]
    assert inputs[:, 0, 0, 0].tolist() == expected
    assert (inputs == inputs[:, :, :1, :1]).all()  # constant frames
    meta = sample['data_samples'].metainfo
    assert meta['sequence_name'] == 'walking/person01_walking_d1_uncomp'
    assert meta['start_frame'] == 5 and meta['split'] == 'train'
    assert meta['input_frames_num'] == 3 and meta['output_frames_num'] == 2


def test_stride_interval_and_per_action_stride(kth_root):
    dataset = KTH(data_root=kth_root, actions=('walking', 'running'),
                  input_frames=2, output_frames=2, interval=3,
                  stride=dict(running=4), image_size=None)
    # span = 3 * 3 + 1 = 10 of 24 frames; walking: default stride 4 * 3 = 12
    # -> starts 0, 12; running: stride 4 -> starts 0, 4, 8, 12
    starts = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        starts.setdefault(info['sequence_name'], []).append(
            info['start_frame'])
    assert starts['walking/person01_walking_d1_uncomp'] == [0, 12]
    assert starts['running/person02_running_d1_uncomp'] == [0, 4, 8, 12]
    frames = dataset[len(dataset) - 1]['inputs'][:, 0, 0, 0].tolist()
    assert frames == [frame_value(12 + 3 * k) for k in range(4)]
    # frames keep their size (12x16) without image_size
    assert tuple(dataset[0]['inputs'].shape) == (4, 1, 12, 16)


def test_splits_are_disjoint_by_person(kth_root):
    persons = {}
    for split in ('train', 'val', 'test'):
        dataset = KTH(data_root=kth_root, split=split, image_size=8)
        persons[split] = {
            dataset.get_data_info(i)['person']
            for i in range(len(dataset))
        }
        actions = {dataset.get_data_info(i)['action']
                   for i in range(len(dataset))}
        assert actions == set(KTH.ACTIONS)
    assert persons == dict(train={1, 2}, val={15}, test={17})
    # the papers' split: all 16 training persons, no validation persons
    papers = dict(train=list(range(1, 17)), val=[], test=list(range(17, 26)))
    train = KTH(data_root=kth_root, split_persons=papers, image_size=8)
    assert {train.get_data_info(i)['person']
            for i in range(len(train))} == {1, 2, 15}
    with pytest.raises(ValueError, match='gives no person'):
        KTH(data_root=kth_root, split='val', split_persons=papers)
    with pytest.raises(ValueError, match='both the train and the val'):
        KTH(data_root=kth_root,
            split_persons=dict(train=(1, 2), val=(2, ), test=(17, )))


def test_registry_and_defaults(kth_root):
    dataset = DATASETS.build(
        dict(type='KTH', data_root=kth_root, split='test'))
    # 10 -> 10 of 24 frames: one window per video, 6 actions, 128x128
    assert len(dataset) == 6
    assert tuple(dataset[0]['inputs'].shape) == (20, 1, 128, 128)


def test_missing_and_malformed_files_name_them(tmp_path):
    with pytest.raises(FileNotFoundError, match='kth.py'):
        KTH(data_root=str(tmp_path / 'nowhere'))
    make_kth(str(tmp_path), persons=(1, ), actions=('walking', ))
    with pytest.raises(FileNotFoundError) as info:
        KTH(data_root=str(tmp_path))
    assert osp.join(str(tmp_path), 'boxing') in str(info.value)
    assert 'personXX_<action>_dN_uncomp' in str(info.value)

    bad = tmp_path / 'walking' / 'walk_person3'
    bad.mkdir()
    with pytest.raises(ValueError, match='walk_person3'):
        KTH(data_root=str(tmp_path), actions=('walking', ))
    bad.rmdir()

    empty = tmp_path / 'walking' / 'person02_walking_d1_uncomp'
    empty.mkdir()
    with pytest.raises(ValueError, match='holds no frame'):
        KTH(data_root=str(tmp_path), actions=('walking', ))
    empty.rmdir()

    # a corrupt frame fails when its window is read, naming the file
    video = tmp_path / 'walking' / 'person01_walking_d1_uncomp'
    (video / 'image_0003.png').write_bytes(b'not a png')
    dataset = KTH(data_root=str(tmp_path), actions=('walking', ),
                  input_frames=2, output_frames=2)
    with pytest.raises(ValueError, match='image_0003.png'):
        dataset[0]
    os.remove(video / 'image_0003.png')
    with pytest.raises(ValueError, match='long enough'):
        KTH(data_root=str(tmp_path), actions=('walking', ), input_frames=20,
            output_frames=20)


def test_frames_of_different_sizes_need_image_size(tmp_path):
    video = str(tmp_path / 'walking' / 'person01_walking_d1_uncomp')
    write_frames(video, 4, size=(12, 16))
    write_frames(video, 1, size=(10, 10), first=5)
    dataset = KTH(data_root=str(tmp_path), actions=('walking', ),
                  input_frames=3, output_frames=2, image_size=None)
    with pytest.raises(ValueError, match='image_0005.png'):
        dataset[0]
    dataset = KTH(data_root=str(tmp_path), actions=('walking', ),
                  input_frames=3, output_frames=2, image_size=(6, 4))
    frames = dataset[0]['inputs']
    assert tuple(frames.shape) == (5, 1, 6, 4)
    # the fifth frame was written as frame 0 of a second batch
    expected = [frame_value(t) for t in range(4)] + [frame_value(0)]
    assert frames[:, 0, 0, 0].tolist() == expected
