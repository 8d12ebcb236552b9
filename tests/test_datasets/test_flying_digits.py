import time

import numpy as np
import pytest
import torch
from mmengine import DefaultScope
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from stpredict.datasets import FlyingDigits
from stpredict.datasets.digit_source import split_index_range
from stpredict.datasets.flying_digits import reflect_into_range
from stpredict.registry import DATASETS
from stpredict.structures import SequenceDataSample


def generated(dataset, idx):
    """The data info of sample ``idx`` with its generated sequence."""
    info = dataset.get_data_info(idx)
    info.update(dataset.load_sequence(info))
    return info


def paste_digits(dataset, info):
    """Rebuild the frames from the digit images and the positions."""
    size = dataset.digit_size
    expected = np.zeros(info['frames'].shape[:3], np.uint8)
    for digit_id, track in zip(info['digit_ids'], info['positions']):
        image = dataset.digit_image(int(digit_id))
        for t, (row, col) in enumerate(track):
            window = expected[t, row:row + size, col:col + size]
            np.maximum(window, image, out=window)
    return expected


def test_default_sizes_per_split():
    for split, num in (('train', 10000), ('val', 2000), ('test', 3000)):
        dataset = FlyingDigits(split=split)
        assert len(dataset) == num
    assert len(FlyingDigits(split='test', num_sequences=12)) == 12


def test_packed_sample_shape_and_meta():
    dataset = FlyingDigits(num_digits=2, split='val', num_sequences=4)
    sample = dataset[3]
    assert set(sample) == {'inputs', 'data_samples'}
    inputs = sample['inputs']
    assert inputs.dtype == torch.uint8
    assert tuple(inputs.shape) == (20, 1, 64, 64)
    assert inputs.is_contiguous()
    data_sample = sample['data_samples']
    assert isinstance(data_sample, SequenceDataSample)
    assert data_sample.sample_idx == 3 and data_sample.sequence_idx == 3
    assert data_sample.input_frames_num == 10
    assert data_sample.output_frames_num == 10
    assert data_sample.split == 'val'


def test_data_info_keys_and_value_range():
    dataset = FlyingDigits(num_digits=2, num_sequences=3)
    info = generated(dataset, 1)
    assert info['sample_idx'] == 1 and info['num_digits'] == 2
    frames = info['frames']
    assert frames.dtype == np.uint8 and frames.shape == (20, 64, 64, 1)
    assert frames.min() == 0 and frames.max() > 100
    assert info['positions'].shape == (2, 20, 2)
    assert info['digit_ids'].shape == (2, )
    assert info['digit_labels'] == [int(i) % 10 for i in info['digit_ids']]


@pytest.mark.parametrize('num_digits', [1, 2, 3])
def test_each_frame_holds_exactly_the_requested_digits(num_digits):
    dataset = FlyingDigits(num_digits=num_digits, num_sequences=6)
    size = dataset.digit_size
    for idx in range(len(dataset)):
        info = generated(dataset, idx)
        frames = info['frames'][..., 0]
        assert len(info['positions']) == num_digits
        assert len(info['digit_ids']) == num_digits
        # the frames are exactly the max of the pasted digits, nothing else
        np.testing.assert_array_equal(frames, paste_digits(dataset, info))
        for t in range(frames.shape[0]):
            inside = np.zeros(frames.shape[1:], bool)
            for row, col in info['positions'][:, t]:
                box = frames[t, row:row + size, col:col + size]
                assert box.max() > 100  # every digit box holds ink
                inside[row:row + size, col:col + size] = True
            assert frames[t][~inside].max(initial=0) == 0  # no stray ink
        if num_digits == 1:
            row, col = info['positions'][0, 5]
            np.testing.assert_array_equal(
                frames[5, row:row + size, col:col + size],
                dataset.digit_image(int(info['digit_ids'][0])))


def test_bouncing_keeps_digits_in_the_canvas():
    dataset = FlyingDigits(num_digits=3, num_sequences=40)
    positions = np.stack(
        [generated(dataset, i)['positions'] for i in range(40)])
    assert positions.min() >= 0 and positions.max() <= 64 - 28
    # digits do reach the borders (they bounce rather than stop short)
    assert (positions == 0).any() and (positions == 36).any()

    fast = FlyingDigits(num_digits=1, speed=50.0, num_sequences=5)
    for idx in range(5):
        track = generated(fast, idx)['positions']
        assert track.min() >= 0 and track.max() <= 36


def test_reflection_is_exact():
    values = np.array([0.0, 4.0, 10.0, 12.0, -3.0, 25.0, 41.0])
    np.testing.assert_allclose(
        reflect_into_range(values, 10.0), [0, 4, 10, 8, 3, 5, 1])
    np.testing.assert_array_equal(reflect_into_range(values, 0.0), 0)


def test_digits_move_at_the_given_speed():
    dataset = FlyingDigits(num_digits=2, num_sequences=30)
    steps = np.concatenate([
        np.linalg.norm(np.diff(generated(dataset, i)['positions'], axis=1),
                       axis=-1).ravel() for i in range(30)
    ])
    # rounding to whole pixels moves each coordinate by at most 0.5 + 0.5
    assert steps.max() <= 3.6 + np.sqrt(2) + 1e-9
    assert abs(np.median(steps) - 3.6) < 0.5
    assert steps.min() >= 0

    still = FlyingDigits(num_digits=1, speed=0.0, num_sequences=2)
    track = generated(still, 1)['positions'][0]
    assert (track == track[0]).all()


def test_generation_is_deterministic():
    first = FlyingDigits(num_digits=2, split='train', num_sequences=10)
    second = FlyingDigits(num_digits=2, split='train', num_sequences=10)
    forward = [first[i]['inputs'] for i in range(10)]
    backward = [second[i]['inputs'] for i in reversed(range(10))][::-1]
    for a, b in zip(forward, backward):
        assert torch.equal(a, b)
    assert torch.equal(first[4]['inputs'], first[4]['inputs'])
    # different sequences within a split
    assert not torch.equal(forward[0], forward[1])


def test_splits_seeds_and_digit_counts_give_different_sequences():
    def frames(**kwargs):
        dataset = FlyingDigits(num_sequences=3, **kwargs)
        return generated(dataset, 0)['frames']

    reference = frames(split='train')
    assert not np.array_equal(reference, frames(split='val'))
    assert not np.array_equal(reference, frames(split='test'))
    assert not np.array_equal(reference, frames(split='train', seed=1))
    assert not np.array_equal(reference, frames(split='train', num_digits=3))

    # each split draws its digits from its own images
    for split in ('train', 'val', 'test'):
        dataset = FlyingDigits(split=split, num_sequences=20)
        start, stop = split_index_range(60000, split)
        ids = np.concatenate(
            [generated(dataset, i)['digit_ids'] for i in range(20)])
        assert ids.min() >= start and ids.max() < stop


def test_indices_keep_sequence_identity():
    full = FlyingDigits(num_sequences=10)
    subset = FlyingDigits(num_sequences=10, indices=[7, 2])
    assert len(subset) == 2
    info = generated(subset, 0)
    assert info['sample_idx'] == 0 and info['sequence_idx'] == 7
    np.testing.assert_array_equal(info['frames'], generated(full, 7)['frames'])


def test_other_sizes_and_frame_counts():
    dataset = FlyingDigits(
        num_digits=1,
        input_frames=4,
        output_frames=2,
        image_size=48,
        digit_size=20,
        num_sequences=2)
    info = generated(dataset, 0)
    assert info['frames'].shape == (6, 48, 48, 1)
    assert info['positions'].max() <= 28
    np.testing.assert_array_equal(info['frames'][..., 0],
                                  paste_digits(dataset, info))
    assert dataset[1]['data_samples'].input_frames_num == 4


@pytest.mark.parametrize('kwargs, words', [
    (dict(num_digits=4), 'num_digits must be 1, 2 or 3'),
    (dict(split='training'), "split must be 'train', 'val' or 'test'"),
    (dict(input_frames=0), 'input_frames must be an int >= 1'),
    (dict(output_frames=-2), 'output_frames must be an int >= 1'),
    (dict(num_sequences=0), 'num_sequences must be'),
    (dict(image_size=20), 'image_size must be an int >= digit_size'),
    (dict(speed=-1.0), 'speed'),
    (dict(seed=-1), 'seed must be'),
])
def test_invalid_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        FlyingDigits(**kwargs)
    assert words in str(info.value)


def test_mnist_file_gives_sequences_of_its_images(tmp_path, fake_mnist_gz,
                                                  fake_mnist_images,
                                                  write_idx3_file):
    raw = write_idx3_file(tmp_path / 'raw-idx3', fake_mnist_images)
    for path in (fake_mnist_gz, raw, str(tmp_path)):
        dataset = FlyingDigits(
            num_digits=2, split='test', num_sequences=4, mnist_file=path)
        start, stop = split_index_range(50, 'test')
        for idx in range(4):
            info = generated(dataset, idx)
            assert 'digit_labels' not in info
            assert ((info['digit_ids'] >= start) &
                    (info['digit_ids'] < stop)).all()
            np.testing.assert_array_equal(info['frames'][..., 0],
                                          paste_digits(dataset, info))
            np.testing.assert_array_equal(
                dataset.digit_image(int(info['digit_ids'][0])),
                fake_mnist_images[info['digit_ids'][0]])


def test_missing_and_malformed_mnist_file(tmp_path, fake_mnist_images,
                                          write_idx3_file):
    missing = str(tmp_path / 'train-images-idx3-ubyte.gz')
    with pytest.raises(FileNotFoundError) as info:
        FlyingDigits(mnist_file=missing)
    assert missing in str(info.value)
    assert 'mnist_file=None' in str(info.value)

    cut = write_idx3_file(tmp_path / 'cut.gz', fake_mnist_images,
                          compress=True, cut_bytes=1)
    with pytest.raises(ValueError) as info:
        FlyingDigits(mnist_file=cut)
    assert cut in str(info.value)


def test_build_from_config_with_and_without_default_scope():
    cfg = dict(type='FlyingDigits', num_digits=1, split='val',
               num_sequences=8)
    dataset = DATASETS.build(cfg)
    assert isinstance(dataset, FlyingDigits) and len(dataset) == 8
    assert tuple(dataset[0]['inputs'].shape) == (20, 1, 64, 64)
    with DefaultScope.overwrite_default_scope('stpredict'):
        dataset = DATASETS.build(
            dict(cfg, pipeline=[dict(type='PackSequenceInputs')]))
        assert tuple(dataset[7]['inputs'].shape) == (20, 1, 64, 64)


def test_dataloader_workers_see_the_same_data():
    dataset = FlyingDigits(num_digits=2, split='train', num_sequences=8)

    def collect(num_workers):
        loader = DataLoader(
            dataset,
            batch_size=4,
            num_workers=num_workers,
            collate_fn=pseudo_collate)
        return [torch.stack(batch['inputs']) for batch in loader]

    serial, parallel = collect(0), collect(2)
    assert len(serial) == len(parallel) == 2
    for a, b in zip(serial, parallel):
        assert torch.equal(a, b)


def test_building_and_generating_are_fast():
    start = time.perf_counter()
    dataset = FlyingDigits(num_digits=3)  # 10000 sequences
    build_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for idx in range(20):
        dataset.generate(idx)
    per_sequence = (time.perf_counter() - start) / 20
    # generous bounds (about 0.1 s and 1.5 ms on a 2-core machine)
    assert build_seconds < 1.0
    assert per_sequence < 0.05
