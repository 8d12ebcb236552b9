import pytest
from dataset_fixtures import frame_value, make_weizmann

from stpredict.datasets import Weizmann


@pytest.fixture(scope='module')
def weizmann_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('weizmann'))
    make_weizmann(root, persons=('daria', 'lena', 'lyova', 'moshe'))
    return root


def test_windows_and_frame_order(weizmann_root):
    dataset = Weizmann(data_root=weizmann_root, actions=('run', 'wave2'),
                       input_frames=4, output_frames=4, stride=6,
                       image_size=8)
    # daria_run, lena_run, lena_run2, daria_wave2, lena_wave2: 22 frames,
    # span 8, stride 6 -> starts 0, 6, 12
    names = [record.name for record in dataset.sequences]
    assert names == ['run/daria_run', 'run/lena_run', 'run/lena_run2',
                     'wave2/daria_wave2', 'wave2/lena_wave2']
    assert len(dataset) == 5 * 3
    sample = dataset[2]
    assert tuple(sample['inputs'].shape) == (8, 1, 8, 8)
    assert sample['inputs'][:, 0, 0, 0].tolist() == [
        frame_value(t) for t in range(12, 20)
    ]


def test_splits_by_person(weizmann_root):
    persons = {}
    for split in ('train', 'val', 'test'):
        dataset = Weizmann(data_root=weizmann_root, split=split,
                           image_size=8)
        persons[split] = {
            dataset.get_data_info(i)['person'] for i in range(len(dataset))
        }
    assert persons == dict(train={'daria', 'lena'}, val={'lyova'},
                           test={'moshe'})


def test_errors_name_the_files(tmp_path):
    make_weizmann(str(tmp_path), persons=('daria', ), actions=('walk', ))
    with pytest.raises(FileNotFoundError, match='weizmann.py') as info:
        Weizmann(data_root=str(tmp_path))
    assert str(tmp_path / 'bend') in str(info.value)
    (tmp_path / 'walk' / 'daria_run').mkdir()
    with pytest.raises(ValueError, match='daria_run'):
        Weizmann(data_root=str(tmp_path), actions=('walk', ))
