"""Pack radar echo frames into one uint8 .npy array per sequence.

stpredict's RadarEcho dataset reads uint8 intensity frames (0-255). This
script turns radar data into its .npy layout:

    OUT/<sequence>.npy   uint8 [T, H, W], frames in natural name order

SOURCE may hold one folder per sequence (an event, a day) of frames, or the
frames of one sequence directly (then the sequence is named after SOURCE),
or .npy files [T, H, W] that are whole sequences. Frames are images (8- or
16-bit gray PNG, ...) or .npy arrays [H, W] of any number type.

Values: 8-bit frames are kept as they are unless --value-range is given.
Other values (dBZ, mm/h, 16-bit counts) need --value-range LOW HIGH: pixel =
round(255 * (value - LOW) / (HIGH - LOW)), clipped to 0-255, NaN -> 0. The
script prints the value_transform dict that undoes this mapping for frames
p = pixel / 255 in [0, 1] (the pixel_to_value spec of the nowcasting
metrics), for the dataset and metric configs: --value-range -10 60 --unit
dbz gives dict(type='linear', scale=70.0, offset=-10.0, quantity='dbz').

    python tools/dataset_converters/radar_echo.py raw/2015 data/dwd/test \\
        --image-size 124 --value-range -10 60 --unit dbz
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from converter_utils import (natural_key, parse_size, progress,  # noqa: E402
                             report_failures, resize)

IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
FRAME_EXTENSIONS = IMAGE_EXTENSIONS + ('.npy', )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Pack radar frames (images or .npy) into uint8 .npy '
        'sequences OUT/<sequence>.npy [T, H, W] for the RadarEcho dataset.')
    parser.add_argument('source', help='folder of sequence folders, of the '
                        'frames of one sequence, or of [T, H, W] .npy files')
    parser.add_argument('out', help='output folder (e.g. <data_root>/train)')
    parser.add_argument('--image-size', default=None,
                        help='resize frames to N or HxW (bilinear/area), '
                        'e.g. 124 for MS-RNN\'s DWD setting, 256 for TMU')
    parser.add_argument('--value-range', nargs=2, type=float, default=None,
                        metavar=('LOW', 'HIGH'),
                        help='physical range mapped linearly to 0-255')
    parser.add_argument('--unit', choices=('dbz', 'mmh'), default='dbz',
                        help='unit of the values (for the printed '
                        'value_transform; default dbz)')
    parser.add_argument('--overwrite', action='store_true',
                        help='rewrite sequences whose .npy exists')
    args = parser.parse_args(argv)
    if args.value_range and not args.value_range[1] > args.value_range[0]:
        parser.error('--value-range needs LOW < HIGH')
    return args


def list_names(folder, extensions):
    names = [n for n in os.listdir(folder)
             if n.lower().endswith(extensions) and not n.startswith('.')
             and osp.isfile(osp.join(folder, n))]
    return sorted(names, key=natural_key)


def to_uint8(frame: np.ndarray, value_range, label: str) -> np.ndarray:
    """Map one frame [H, W] to uint8 (see the module doc)."""
    if value_range is None:
        if frame.dtype != np.uint8:
            raise RuntimeError(
                f'{label} holds {frame.dtype} values; give --value-range '
                'LOW HIGH to map them to 0-255.')
        return frame
    low, high = value_range
    scaled = (frame.astype(np.float64) - low) * (255.0 / (high - low))
    scaled = np.nan_to_num(scaled, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def load_npy(path: str, mmap_mode=None) -> np.ndarray:
    """``np.load`` (never unpickling) whose errors name the file."""
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise RuntimeError(f'cannot read "{path}" as a .npy array '
                           f'({error}).') from error


def read_frame(path: str) -> np.ndarray:
    if path.lower().endswith('.npy'):
        frame = load_npy(path)
        if frame.ndim == 3 and frame.shape[-1] == 1:
            frame = frame[..., 0]
        if frame.ndim != 2:
            raise RuntimeError(f'"{path}" has shape {frame.shape}, not one '
                               'frame [H, W].')
        return frame
    frame = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if frame is None:
        raise RuntimeError(f'cannot read the image "{path}".')
    if frame.ndim == 3:
        frame = cv2.cvtColor(frame[..., :3], cv2.COLOR_BGR2GRAY)
    return frame


def sequence_jobs(source: str):
    """(name, kind, paths) of every sequence in SOURCE."""
    subdirs = sorted((d for d in os.listdir(source)
                      if osp.isdir(osp.join(source, d))
                      and not d.startswith('.')), key=natural_key)
    frames = list_names(source, FRAME_EXTENSIONS)
    jobs = []
    if frames:
        arrays = [n for n in frames if n.lower().endswith('.npy')]
        try:
            whole = [n for n in arrays if load_npy(
                osp.join(source, n), mmap_mode='r').ndim >= 3]
        except RuntimeError as error:
            raise SystemExit(str(error)) from error
        if whole and len(whole) == len(frames):
            for name in whole:
                jobs.append((osp.splitext(name)[0], 'array',
                             [osp.join(source, name)]))
        elif whole:
            raise SystemExit(f'"{source}" mixes single frames with whole '
                             'sequences (.npy [T, H, W]); keep one kind.')
        else:
            jobs.append((osp.basename(osp.normpath(source)), 'frames',
                         [osp.join(source, n) for n in frames]))
    for name in subdirs:
        directory = osp.join(source, name)
        paths = [osp.join(directory, n)
                 for n in list_names(directory, FRAME_EXTENSIONS)]
        if paths:
            jobs.append((name, 'frames', paths))
    return jobs


def value_transform(args) -> str:
    low, high = args.value_range
    quantity = 'dbz' if args.unit == 'dbz' else 'rain_rate'
    return (f"dict(type='linear', scale={high - low!r}, offset={low!r}, "
            f"quantity='{quantity}')")


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isdir(args.source):
        print(f'Source folder "{args.source}" not found.', file=sys.stderr)
        return 1
    size = parse_size(args.image_size)
    jobs = sequence_jobs(args.source)
    if not jobs:
        print(f'No frames or sequences found in "{args.source}".',
              file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    failures, frames_written, written = [], 0, 0
    for name, kind, paths in progress(jobs, len(jobs), 'radar_echo'):
        target = osp.join(args.out, name + '.npy')
        if osp.exists(target) and not args.overwrite:
            continue
        try:
            if kind == 'array':
                array = load_npy(paths[0], mmap_mode='r')
                if array.ndim == 4 and array.shape[-1] == 1:
                    array = array[..., 0]
                elif array.ndim == 4 and array.shape[1] == 1:
                    array = array[:, 0]
                if array.ndim != 3:
                    raise RuntimeError(f'"{paths[0]}" has shape '
                                       f'{array.shape}, not [T, H, W].')
                frames = [(f'{paths[0]} [frame {t}]', array[t])
                          for t in range(array.shape[0])]
            else:
                frames = [(path, None) for path in paths]
            out = []
            for label, frame in frames:
                frame = read_frame(label) if frame is None else np.asarray(
                    frame)
                frame = to_uint8(frame, args.value_range, label)
                frame = resize(frame, size)
                if out and frame.shape != out[0].shape:
                    raise RuntimeError(
                        f'{label} has shape {frame.shape}, the first frame '
                        f'{out[0].shape}; give --image-size.')
                out.append(frame)
            tmp = target + '.partial.npy'
            np.save(tmp, np.stack(out))
            os.replace(tmp, target)
            frames_written += len(out)
            written += 1
        except (RuntimeError, ValueError, OSError) as error:
            failures.append((name, str(error)))
    print(f'Wrote {written} of {len(jobs)} sequence(s), {frames_written} '
          f'frames, into "{args.out}".')
    if args.value_range:
        print(f'value_transform={value_transform(args)}')
    return report_failures(failures)


if __name__ == '__main__':
    sys.exit(main())
