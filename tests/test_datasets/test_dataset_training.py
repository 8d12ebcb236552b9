"""A ConvLSTM trains for a few iterations on every dataset's fixture.

Each training split has at least 4 windows, so 2 iterations of batch 2 do
not exhaust it (mmengine sleeps 2 s whenever an iter-based run starts a new
epoch).
"""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from dataset_fixtures import (make_human36m, make_kth, make_taxibj,
                              make_weizmann, write_frames)

from stpredict.testing import train_briefly

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def dataset_options(**values):
    """The same dataset overrides for the three loaders."""
    return {
        f'{loader}.dataset.{key}': value
        for loader in LOADERS for key, value in values.items()
    }


def config(name):
    return osp.join(REPO_ROOT, 'configs', 'convlstm', name)


def check_trained(runner, iterations=2):
    assert runner.iter == iterations
    assert osp.exists(osp.join(runner.work_dir, f'iter_{iterations}.pth'))


def test_kth_trains_through_tools_train(tmp_path):
    root = str(tmp_path / 'kth')
    make_kth(root, persons=(1, 15, 17), num_frames=20)
    work_dir = str(tmp_path / 'work')
    options = [f'{k}={v}' for k, v in dataset_options(
        data_root=root, image_size=16).items()]
    for loader in LOADERS:
        options += [f'{loader}.batch_size=2', f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    options += [
        'model.neck.hidden_channels=8', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'custom_hooks.0.end_iter=2'
    ]
    result = subprocess.run(
        [sys.executable, 'tools/train.py',
         'configs/convlstm/convlstm_4x64_kth-10to10.py', '--work-dir',
         work_dir, '--cfg-options', *options],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore'))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'Iter(train) [2/2]' in log
    assert 'mse_per_frame' in log  # validated on person 15
    assert osp.exists(osp.join(work_dir, 'iter_2.pth'))


COMMON = {'model.neck.hidden_channels': 8}


def test_human36m_trains(tmp_path):
    root = str(tmp_path / 'h36m')
    make_human36m(root, subjects=(1, 8, 9), num_frames=16)
    runner = train_briefly(
        config('convlstm_4x64_human36m-4to4.py'), str(tmp_path / 'work'),
        cfg_options={**COMMON, **dataset_options(data_root=root,
                                                 image_size=16)})
    check_trained(runner)
    batch = next(iter(runner.train_dataloader))
    assert tuple(batch['inputs'][0].shape) == (8, 3, 16, 16)


def test_weizmann_trains(tmp_path):
    root = str(tmp_path / 'weizmann')
    make_weizmann(root, persons=('daria', 'lyova', 'moshe'), num_frames=40,
                  actions=('run', 'walk'))
    options = dataset_options(data_root=root, image_size=16,
                              actions=('run', 'walk'))
    runner = train_briefly(config('convlstm_4x64_weizmann-10to10.py'),
                           str(tmp_path / 'work'),
                           cfg_options={**COMMON, **options})
    check_trained(runner)


def test_kth_msrnn_setting_trains(tmp_path):
    root = str(tmp_path / 'kth')
    make_kth(root, persons=(1, 15, 17), num_frames=23,
             actions=('walking', 'jogging', 'running'))
    runner = train_briefly(
        config('convlstm_4x64_kth88-10to10.py'), str(tmp_path / 'work'),
        cfg_options={**COMMON, **dataset_options(data_root=root,
                                                 image_size=16)})
    check_trained(runner)
    # 23 frames, span 20: walking and jogging (stride 10) start at 0,
    # running (stride 3) at 0 and 3
    assert len(runner.train_dataloader.dataset) == 4


def test_taxibj_trains_on_float_frames(tmp_path):
    make_taxibj(str(tmp_path / 'dataset.npz'), num_train=14, num_test=3)
    runner = train_briefly(
        config('convlstm_4x64_taxibj-4to4.py'), str(tmp_path / 'work'),
        cfg_options={**COMMON, **dataset_options(data_root=str(tmp_path),
                                                 val_samples=3)})
    check_trained(runner)
    batch = next(iter(runner.train_dataloader))
    assert batch['inputs'][0].dtype.is_floating_point
    assert tuple(batch['inputs'][0].shape) == (8, 2, 16, 16)


@pytest.mark.parametrize('name', ['convlstm_4x64_radardwd-5to5.py',
                                  'convlstm_4x64_radarbeijing-10to10.py'])
def test_radar_trains(tmp_path, name):
    root = tmp_path / 'radar'
    rng = np.random.default_rng(0)
    for split in ('train', 'val', 'test'):
        (root / split).mkdir(parents=True)
        # 120 five-minute frames: two 5 -> 5 windows at interval 6
        for day in ('day1', 'day2'):
            np.save(root / split / f'{day}.npy',
                    rng.integers(0, 256, (120, 16, 16), dtype=np.uint8))
    runner = train_briefly(
        config(name), str(tmp_path / 'work'),
        cfg_options={**COMMON, **dataset_options(data_root=str(root),
                                                 image_size=16)})
    check_trained(runner)
    sample = runner.train_dataloader.dataset[0]['data_samples']
    assert sample.metainfo['value_transform']['quantity'] == 'dbz'
    # the test evaluator (with the nowcasting metrics) runs too
    metrics = runner.test()
    assert any(key.startswith('csi_') for key in metrics)


def test_custom_folders_train(tmp_path):
    root = tmp_path / 'mine'
    for i in range(5):
        write_frames(str(root / f'clip{i}'), 40, (16, 16))
    options = dataset_options(data_root=str(root), image_size=16,
                              val_fraction=0.2, test_fraction=0.2)
    runner = train_briefly(config('convlstm_4x64_custom-10to10.py'),
                           str(tmp_path / 'work'),
                           cfg_options={**COMMON, **options})
    check_trained(runner)
    assert len(runner.train_dataloader.dataset) == 6  # 3 clips x 2


def test_config_of_the_custom_dataset_guide_trains(tmp_path):
    """The complete config of docs/custom_dataset.md runs as printed."""
    with open(osp.join(REPO_ROOT, 'docs', 'custom_dataset.md')) as file:
        guide = file.read()
    section = guide[guide.index('## 3. A complete config'):]
    code = section[section.index('```python\n') + 10:]
    code = code[:code.index('```')]
    base = osp.join(REPO_ROOT, 'configs', '_base_') + '/'
    config_file = tmp_path / 'convlstm_4x64_mydata-10to10.py'
    config_file.write_text(code.replace("'../_base_/", "'" + base))
    root = tmp_path / 'my_sequences'
    for i in range(5):
        write_frames(str(root / f'clip_{i:03d}'), 40, (20, 24),
                     pattern='{:04d}.png')
    runner = train_briefly(
        str(config_file), str(tmp_path / 'work'),
        cfg_options={**COMMON, **dataset_options(data_root=str(root),
                                                 image_size=16)})
    check_trained(runner)
