"""Properties of the dataset converters in ``tools/dataset_converters``.

Random small fake inputs go through the converters (run in-process through
their ``main(argv)``) and come back equal from the matching dataset; corrupt
inputs make the converter fail with the file named.
"""
import contextlib
import importlib.util
import io
import os
import os.path as osp
import tempfile

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stpredict.datasets import KTH, RadarEcho

CONVERTERS = osp.abspath(
    osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters'))
SETTINGS = settings(max_examples=15, deadline=None)


def load_converter(name: str):
    """Import ``tools/dataset_converters/<name>.py`` under a private name."""
    spec = importlib.util.spec_from_file_location(
        f'_stpredict_converter_{name}', osp.join(CONVERTERS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


radar_converter = load_converter('radar_echo')
kth_converter = load_converter('kth')
converter_utils = load_converter('converter_utils')


def run_main(module, *argv):
    """``module.main(argv)``; returns ``(status, stdout + stderr)``."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), \
            contextlib.redirect_stderr(output):
        try:
            status = module.main([str(arg) for arg in argv])
        except SystemExit as error:
            status = error.code
            if not isinstance(status, int):
                output.write(str(status))
                status = 1
    return status, output.getvalue()


@st.composite
def radar_sources(draw):
    """Random uint8 radar frames ``[T, H, W]`` and the layout to store
    them in."""
    length = draw(st.integers(2, 8))
    size = (draw(st.integers(1, 16)), draw(st.integers(1, 16)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frames = rng.integers(0, 256, (length, *size), dtype=np.uint8)
    layout = draw(st.sampled_from(['png_frames', 'npy_frames',
                                   'npy_sequence']))
    return frames, layout


def write_radar_source(source: str, frames: np.ndarray, layout: str) -> None:
    if layout == 'npy_sequence':
        os.makedirs(source)
        np.save(osp.join(source, 'event.npy'), frames)
        return
    directory = osp.join(source, 'event')
    os.makedirs(directory)
    for t, frame in enumerate(frames):
        if layout == 'png_frames':
            assert cv2.imwrite(osp.join(directory, f'{t}.png'), frame)
        else:
            np.save(osp.join(directory, f'{t}.npy'), frame)


@SETTINGS
@given(radar_sources(), st.integers(1, 2), st.integers(0, 1))
def test_radar_converter_round_trip(case, input_frames, extra):
    frames, layout = case
    output_frames = min(len(frames) - input_frames, 1 + extra)
    if output_frames < 1:
        input_frames, output_frames = 1, 1
    with tempfile.TemporaryDirectory() as tmp:
        source, root = osp.join(tmp, 'raw'), osp.join(tmp, 'radar')
        write_radar_source(source, frames, layout)
        status, log = run_main(radar_converter, source,
                               osp.join(root, 'train'))
        assert status == 0, log
        written = np.load(osp.join(root, 'train', 'event.npy'))
        assert written.dtype == np.uint8
        assert np.array_equal(written, frames)
        dataset = RadarEcho(data_root=root, input_frames=input_frames,
                            output_frames=output_frames,
                            serialize_data=False)
        total = input_frames + output_frames
        assert len(dataset) == len(frames) // total
        for index in range(len(dataset)):
            info = dataset.get_data_info(index)
            start = info['start_frame']
            window = dataset.load_sequence(info)['frames']
            assert np.array_equal(window[..., 0],
                                  frames[start:start + total])


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 12), st.integers(1, 12),
       st.integers(-200, 200), st.integers(4, 400), st.integers(0, 2**32 - 1))
def test_radar_converter_value_range(length, height, width, low4, extent4,
                                     seed):
    # quarters of a unit (e.g. -12.25 dBZ): what a user types
    low, extent = low4 / 4, extent4 / 4
    high = low + extent
    rng = np.random.default_rng(seed)
    values = rng.uniform(low - 5, high + 5, (length, height, width))
    values[0, 0, 0] = np.nan
    with tempfile.TemporaryDirectory() as tmp:
        source, out = osp.join(tmp, 'raw'), osp.join(tmp, 'out')
        os.makedirs(source)
        np.save(osp.join(source, 'storm.npy'), values)
        status, log = run_main(radar_converter, source, out,
                               '--value-range', low, high)
        assert status == 0, log
        written = np.load(osp.join(out, 'storm.npy'))
        expected = np.clip(np.rint(np.nan_to_num(
            (values - low) * (255.0 / (high - low)), nan=0.0)), 0, 255)
        assert np.array_equal(written, expected.astype(np.uint8))
        # the printed value_transform maps pixels back within half a step
        assert f'scale={high - low!r}, offset={low!r}' in log
        inside = (values >= low) & (values <= high)
        back = written / 255.0 * (high - low) + low
        assert np.all(np.abs(back - values)[inside] <= extent / 510 + 1e-9)


@SETTINGS
@given(st.binary(max_size=200), st.sampled_from(['frame', 'sequence']))
def test_radar_converter_names_a_corrupt_npy(data, where):
    with tempfile.TemporaryDirectory() as tmp:
        source, out = osp.join(tmp, 'raw'), osp.join(tmp, 'out')
        directory = osp.join(source, 'event') if where == 'frame' else source
        os.makedirs(directory)
        if where == 'frame':
            np.save(osp.join(directory, '0.npy'),
                    np.zeros((4, 4), np.uint8))
        path = osp.join(directory, '1.npy')
        with open(path, 'wb') as file:
            file.write(b'junk' + data)
        status, log = run_main(radar_converter, source, out)
        assert status == 1
        assert path in log, log


@SETTINGS
@given(st.binary(max_size=200))
def test_radar_converter_names_a_corrupt_image(data):
    with tempfile.TemporaryDirectory() as tmp:
        source, out = osp.join(tmp, 'raw'), osp.join(tmp, 'out')
        os.makedirs(osp.join(source, 'event'))
        cv2.imwrite(osp.join(source, 'event', '0.png'),
                    np.zeros((4, 4), np.uint8))
        path = osp.join(source, 'event', '1.png')
        with open(path, 'wb') as file:
            file.write(b'junk' + data)
        status, log = run_main(radar_converter, source, out)
        assert status == 1
        assert path in log, log
        assert not os.listdir(out)  # nothing half-written


def write_avi(path: str, values, size) -> None:
    """An MJPG video whose frame t is the constant ``values[t]``."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 25,
                             (size[1], size[0]), True)
    assert writer.isOpened()
    for value in values:
        writer.write(np.full((*size, 3), value, np.uint8))
    writer.release()


@settings(max_examples=5, deadline=None)
@given(st.lists(st.integers(0, 255), min_size=2, max_size=6),
       st.sampled_from([(8, 8), (16, 8), (8, 16)]), st.integers(1, 2))
def test_kth_converter_round_trip(values, size, every):
    with tempfile.TemporaryDirectory() as tmp:
        raw, root = osp.join(tmp, 'raw'), osp.join(tmp, 'kth')
        write_avi(osp.join(raw, 'person17_running_d3_uncomp.avi'), values,
                  size)
        status, log = run_main(kth_converter, raw, root, '--actions',
                               'running', '--every', every)
        assert status == 0, log
        kept = values[::every]
        if len(kept) < 2:
            return
        dataset = KTH(data_root=root, split='test', actions=('running', ),
                      input_frames=1, output_frames=len(kept) - 1,
                      image_size=None, serialize_data=False)
        assert len(dataset) == 1
        frames = dataset.load_sequence(dataset.get_data_info(0))['frames']
        assert frames.shape == (len(kept), *size, 1)
        # MJPG is lossy: constant frames come back within a few levels
        means = frames.reshape(len(kept), -1).mean(axis=1)
        assert np.all(np.abs(means - np.array(kept)) <= 4), (means, kept)


@SETTINGS
@given(st.binary(max_size=300))
def test_kth_converter_names_a_corrupt_video(data):
    with tempfile.TemporaryDirectory() as tmp:
        raw, root = osp.join(tmp, 'raw'), osp.join(tmp, 'kth')
        os.makedirs(raw)
        path = osp.join(raw, 'person02_walking_d1_uncomp.avi')
        with open(path, 'wb') as file:
            file.write(data)
        status, log = run_main(kth_converter, raw, root, '--actions',
                               'walking')
        assert status == 1
        assert path in log, log
        video = osp.join(root, 'walking', 'person02_walking_d1_uncomp')
        assert not osp.exists(video) and not osp.exists(video + '.partial')


@SETTINGS
@given(st.integers(1, 4096), st.integers(1, 4096), st.booleans())
def test_parse_size(height, width, square):
    if square:
        assert converter_utils.parse_size(str(height)) == (height, height)
    else:
        size = converter_utils.parse_size(f'{height}x{width}')
        assert size == (height, width)


@SETTINGS
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=20,
                unique=True), st.sampled_from(['img', 'frame_', '']))
def test_natural_key_sorts_numbers_numerically(numbers, prefix):
    names = [f'{prefix}{number}.png' for number in numbers]
    ordered = sorted(names, key=converter_utils.natural_key)
    assert ordered == [f'{prefix}{number}.png' for number in sorted(numbers)]
