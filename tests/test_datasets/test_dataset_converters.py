"""The converters in tools/dataset_converters on tiny fixtures."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from dataset_fixtures import frame_value

from stpredict.datasets import KTH, Human36M, RadarEcho, Weizmann

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONVERTERS = osp.join(REPO_ROOT, 'tools', 'dataset_converters')


def run_converter(name, *args, check=True):
    result = subprocess.run(
        [sys.executable, osp.join(CONVERTERS, name), *map(str, args)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    output = result.stdout + result.stderr
    if check and result.returncode != 0:
        raise AssertionError(f'{name} {args} failed:\n{output}')
    return result.returncode, output


def write_avi(path, num_frames=5, size=(24, 32), color=False):
    """An MJPG .avi whose frame t is the constant frame_value(t)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 25,
                             (size[1], size[0]), True)
    assert writer.isOpened()
    for t in range(num_frames):
        frame = np.full((*size, 3), frame_value(t), np.uint8)
        if color:
            frame[..., 0] = 200  # blue channel (BGR)
        writer.write(frame)
    writer.release()


def close_to(values, expected, tol=4):
    return all(abs(int(v) - int(e)) <= tol for v, e in zip(values, expected))


@pytest.mark.parametrize('name', ['kth.py', 'weizmann.py', 'human36m.py',
                                  'radar_echo.py'])
def test_help(name):
    _, output = run_converter(name, '--help')
    assert 'usage' in output


def test_kth_converter(tmp_path):
    raw, out = tmp_path / 'raw', tmp_path / 'kth'
    write_avi(raw / 'walking' / 'person01_walking_d1_uncomp.avi')
    write_avi(raw / 'person17_walking_d2_uncomp.avi', num_frames=6)
    write_avi(raw / 'holiday.avi')
    (raw / 'person02_walking_d1_uncomp.avi').write_bytes(b'broken')
    code, log = run_converter('kth.py', raw, out, '--actions', 'walking',
                              check=False)
    assert code == 1  # the broken video is reported
    assert 'holiday.avi' in log and 'person02_walking_d1_uncomp.avi' in log
    video = out / 'walking' / 'person01_walking_d1_uncomp'
    names = sorted(os.listdir(video))
    assert names == [f'image_{t:04d}.png' for t in range(1, 6)]
    frame = cv2.imread(str(video / 'image_0003.png'), cv2.IMREAD_UNCHANGED)
    assert frame.shape == (24, 32) and frame.dtype == np.uint8
    assert not (out / 'walking' / 'person02_walking_d1_uncomp').exists()
    assert not any(p.endswith('.partial') for p in os.listdir(
        out / 'walking'))
    # the converted layout is what the dataset reads
    test = KTH(data_root=str(out), split='test', actions=('walking', ),
               input_frames=3, output_frames=3, image_size=8)
    assert len(test) == 1
    values = test[0]['inputs'][:, 0, 4, 4].tolist()
    assert close_to(values, [frame_value(t) for t in range(6)])
    # --every 2 with --overwrite keeps frames 1, 3, 5
    os.remove(raw / 'person02_walking_d1_uncomp.avi')
    run_converter('kth.py', raw, out, '--every', '2', '--overwrite',
                  '--image-size', '8x12')
    names = sorted(os.listdir(video))
    assert len(names) == 3
    frame = cv2.imread(str(video / 'image_0002.png'), cv2.IMREAD_UNCHANGED)
    assert frame.shape == (8, 12)
    assert close_to([frame[4, 4]], [frame_value(2)])


def test_weizmann_converter(tmp_path):
    raw, out = tmp_path / 'raw', tmp_path / 'weizmann'
    write_avi(raw / 'run' / 'lena_run1.avi')
    write_avi(raw / 'daria_wave2.avi', color=True)
    write_avi(raw / 'moshe_walk.avi')
    _, log = run_converter('weizmann.py', raw, out)
    assert 'Converted 3 of 3' in log
    assert sorted(os.listdir(out)) == ['run', 'walk', 'wave2']
    assert len(os.listdir(out / 'run' / 'lena_run1')) == 5
    frame = cv2.imread(str(out / 'wave2' / 'daria_wave2' / 'image_0001.png'),
                       cv2.IMREAD_UNCHANGED)
    assert frame.ndim == 2  # gray
    test = Weizmann(data_root=str(out), split='test',
                    actions=('run', 'walk', 'wave2'), input_frames=2,
                    output_frames=2, image_size=8)
    assert len(test) == 1
    assert test.get_data_info(0)['sequence_name'] == 'walk/moshe_walk'


def test_human36m_converter_and_check(tmp_path):
    raw, out = tmp_path / 'h36m', tmp_path / 'frames'
    write_avi(raw / 'S1' / 'Videos' / 'Walking 1.54138969.avi', color=True)
    write_avi(raw / 'S9' / 'Videos' / 'Eating.55011271.avi', num_frames=6)
    write_avi(raw / 'S9' / 'Videos' / '_ALL.55011271.avi')
    write_avi(raw / 'S2' / 'Videos' / 'Walking.54138969.avi')
    _, log = run_converter('human36m.py', raw, out, '--every', '2',
                           '--image-size', '16')
    names = sorted(os.listdir(out))
    assert names == [
        'S1_Walking_1.54138969_000001.jpg',
        'S1_Walking_1.54138969_000003.jpg',
        'S1_Walking_1.54138969_000005.jpg',
        'S9_Eating.55011271_000001.jpg',
        'S9_Eating.55011271_000003.jpg',
        'S9_Eating.55011271_000005.jpg',
    ]
    frame = cv2.imread(str(out / names[1]))
    assert frame.shape == (16, 16, 3)
    assert close_to([frame[8, 8, 0]], [200])  # colour kept (BGR on disk)
    _, log = run_converter('human36m.py', '--check', out)
    assert 'S1: 1 sequences, 3 frames' in log
    train = Human36M(data_root=str(out), input_frames=1, output_frames=2)
    assert len(train) == 1
    rgb = train[0]['inputs']
    assert tuple(rgb.shape) == (3, 3, 128, 128)
    assert close_to([rgb[0, 2, 64, 64]], [200])  # blue is channel 2 in RGB
    assert close_to(rgb[:, 1, 64, 64].tolist(),
                    [frame_value(t) for t in (0, 2, 4)])
    (out / 'S1_Walking.jpg').write_bytes(b'x')
    code, log = run_converter('human36m.py', '--check', out, check=False)
    assert code == 1 and 'S1_Walking.jpg' in log


def test_radar_echo_converter(tmp_path):
    raw, out = tmp_path / 'raw', tmp_path / 'radar' / 'train'
    for name in ('event2', 'event10'):
        folder = raw / name
        folder.mkdir(parents=True)
        for t in range(4):
            cv2.imwrite(str(folder / f'{t}.png'),
                        np.full((20, 20), frame_value(t), np.uint8))
    _, log = run_converter('radar_echo.py', raw, out, '--image-size', '10')
    assert 'Wrote 2 of 2' in log
    array = np.load(out / 'event10.npy')
    assert array.shape == (4, 10, 10) and array.dtype == np.uint8
    assert array[:, 0, 0].tolist() == [frame_value(t) for t in range(4)]
    dataset = RadarEcho(data_root=str(tmp_path / 'radar'), input_frames=2,
                        output_frames=2)
    assert [r.name for r in dataset.sequences] == ['event2', 'event10']
    # float dBZ frames of one series need --value-range
    series = tmp_path / 'dbz'
    series.mkdir()
    for t in range(3):
        dbz = np.full((6, 6), -10.0 + 35.0 * t)
        dbz[0, 0] = np.nan
        np.save(series / f'{t}.npy', dbz)
    code, log = run_converter('radar_echo.py', series, tmp_path / 'o',
                              check=False)
    assert code == 1 and '--value-range' in log
    _, log = run_converter('radar_echo.py', series, tmp_path / 'o',
                           '--value-range', '-10', '60', '--unit', 'dbz')
    assert ("value_transform=dict(type='linear', scale=70.0, offset=-10.0, "
            "quantity='dbz')") in log
    array = np.load(tmp_path / 'o' / 'dbz.npy')
    assert array[:, 1, 1].tolist() == [0, 128, 255]
    assert array[0, 0, 0] == 0  # NaN
