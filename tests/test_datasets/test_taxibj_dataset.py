import numpy as np
import pytest
import torch
from dataset_fixtures import make_taxibj, taxibj_pixel

from stpredict.datasets import TaxiBJ


@pytest.fixture(scope='module', params=[False, True],
                ids=['stored', 'compressed'])
def taxibj_root(tmp_path_factory, request):
    root = tmp_path_factory.mktemp('taxibj')
    make_taxibj(str(root / 'dataset.npz'), num_train=30, num_test=5,
                compressed=request.param)
    return str(root)


def test_float_frames_in_unit_range_and_order(taxibj_root):
    dataset = TaxiBJ(data_root=taxibj_root, split='test')
    assert len(dataset) == 5
    sample = dataset[3]
    inputs = sample['inputs']
    assert inputs.dtype == torch.float32
    assert tuple(inputs.shape) == (8, 2, 16, 16)
    assert float(inputs.min()) >= 0 and float(inputs.max()) <= 1
    for t in range(8):
        for c in range(2):
            assert float(inputs[t, c, 0, 0]) == pytest.approx(
                taxibj_pixel(t, c))
    assert float(inputs[0, 0, 5, 5]) == pytest.approx((0.003 + 1) / 2)
    # shorter windows: the last frames of X, the first of Y
    dataset = TaxiBJ(data_root=taxibj_root, split='test', input_frames=2,
                     output_frames=3)
    frames = dataset[0]['inputs'][:, 0, 0, 0].tolist()
    assert frames == pytest.approx([taxibj_pixel(t, 0)
                                    for t in (2, 3, 4, 5, 6)])


def test_val_is_carved_from_the_end_of_train_with_a_gap(taxibj_root):
    rows = {}
    for split in ('train', 'val', 'test'):
        dataset = TaxiBJ(data_root=taxibj_root, split=split, val_samples=6)
        rows[split] = [dataset.get_data_info(i)['sequence_idx']
                       for i in range(len(dataset))]
    # 30 training samples: val = the last 6, a gap of 4 + 4 - 1 = 7 dropped
    assert rows['val'] == list(range(24, 30))
    assert rows['train'] == list(range(0, 17))
    assert rows['test'] == list(range(5))
    # sample i covers half-hours i..i+7: no train and val sample share one
    assert max(rows['train']) + 8 <= min(rows['val'])
    val = TaxiBJ(data_root=taxibj_root, split='val', val_samples=6)
    value = float(val[0]['inputs'][0, 0, 5, 5])
    assert value == pytest.approx((24 / 1000 + 1) / 2)
    with pytest.raises(ValueError, match='too few'):
        TaxiBJ(data_root=taxibj_root, val_samples=25)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        TaxiBJ(data_root=str(tmp_path))
    assert str(tmp_path / 'dataset.npz') in str(info.value)
    assert 'X_train' in str(info.value)
    np.savez(tmp_path / 'dataset.npz', X_train=np.zeros((3, 4, 2, 8, 8)))
    with pytest.raises(ValueError, match='Y_train'):
        TaxiBJ(data_root=str(tmp_path))
    np.savez(tmp_path / 'dataset.npz', X_test=np.zeros((3, 4, 32, 32)),
             Y_test=np.zeros((3, 4, 32, 32)))
    with pytest.raises(ValueError, match=r'\(N, T, C, H, W\)'):
        TaxiBJ(data_root=str(tmp_path), split='test')
    np.savez(tmp_path / 'dataset.npz', X_test=np.full((2, 4, 2, 8, 8), 3.0),
             Y_test=np.zeros((2, 4, 2, 8, 8)))
    dataset = TaxiBJ(data_root=str(tmp_path), split='test')
    with pytest.raises(ValueError, match=r'\[-1, 1\]'):
        dataset[0]
    (tmp_path / 'dataset.npz').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='not a readable .npz'):
        TaxiBJ(data_root=str(tmp_path), split='test')
