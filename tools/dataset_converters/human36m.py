"""Extract Human3.6M video frames as S<subject>_<Action>.<camera>_NNNNNN.jpg.

Human3.6M (http://vision.imar.ro/human3.6m/, registration needed) ships
videos as S<subject>/Videos/<Action>.<camera>.mp4, e.g.
S1/Videos/Directions 1.54138969.mp4. This script finds the videos of the
chosen subjects under SOURCE and writes every kept frame into OUT as

    OUT/S1_Directions_1.54138969_000001.jpg

(spaces in the action become '_'; NNNNNN is the frame's number in the video,
from 1, so gaps show the sampling of --every). That flat folder is what
stpredict's Human36M dataset reads. The '_ALL' videos are skipped. Store the
frames at the size you train at (--image-size 128 for TMU): full-size frames
take about 20 times the disk.

    python tools/dataset_converters/human36m.py data/h36m_raw data/human36m \\
        --image-size 128

With --check, nothing is converted: the frame names in SOURCE are checked
and counted per subject (exit status 1 when a name does not fit).

    python tools/dataset_converters/human36m.py --check data/human36m
"""
import argparse
import collections
import os
import os.path as osp
import re
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

import cv2  # noqa: E402
from converter_utils import (find_files, parse_size, progress,  # noqa: E402
                             read_video, report_failures)

SUBJECTS = (1, 5, 6, 7, 8, 9, 11)
FRAME_NAME = re.compile(r'^S(\d+)_(.+)\.(\d+)_(\d+)\.([A-Za-z]+)$')
VIDEO_NAME = re.compile(r'^(.+)\.(\d+)\.(mp4|avi|mov|mkv)$', re.IGNORECASE)
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract Human3.6M video frames as '
        'OUT/S<subject>_<Action>.<camera>_NNNNNN.jpg, or check such a '
        'folder (--check).')
    parser.add_argument('source', help='Human3.6M root with S1/Videos/*.mp4,'
                        ' ... (searched recursively); with --check, the '
                        'folder of frames')
    parser.add_argument('out', nargs='?', help='output folder of the frames '
                        '(the data_root of Human36M)')
    parser.add_argument('--check', action='store_true',
                        help='only check and count the frame names in SOURCE')
    parser.add_argument('--subjects', nargs='+', type=int,
                        default=list(SUBJECTS), help='subjects to extract '
                        '(default: 1 5 6 7 8 9 11)')
    parser.add_argument('--image-size', default=None,
                        help='resize frames to N or HxW (TMU: 128)')
    parser.add_argument('--every', type=int, default=1,
                        help='keep every k-th frame (default 1: all 50 fps)')
    parser.add_argument('--quality', type=int, default=95,
                        help='JPEG quality (default 95)')
    parser.add_argument('--overwrite', action='store_true',
                        help='extract videos whose first frame exists already')
    args = parser.parse_args(argv)
    if not args.check and args.out is None:
        parser.error('give OUT (or --check to check a folder of frames)')
    if args.every < 1:
        parser.error('--every must be >= 1')
    return args


def check(folder: str) -> int:
    """Check the frame names of a folder; print counts per subject."""
    if not osp.isdir(folder):
        print(f'Folder "{folder}" not found.', file=sys.stderr)
        return 1
    frames = collections.Counter()
    sequences = collections.defaultdict(set)
    bad = []
    for path in find_files(folder, IMAGE_EXTENSIONS):
        match = FRAME_NAME.match(osp.basename(path))
        if match is None:
            bad.append(path)
            continue
        subject = int(match.group(1))
        frames[subject] += 1
        sequences[subject].add((match.group(2), match.group(3)))
    for subject in sorted(frames):
        print(f'S{subject}: {len(sequences[subject])} sequences, '
              f'{frames[subject]} frames')
    for path in bad[:20]:
        print(f'not named S<subject>_<Action>.<camera>_NNNNNN.jpg: {path}',
              file=sys.stderr)
    if bad:
        print(f'{len(bad)} file(s) with a wrong name.', file=sys.stderr)
        return 1
    if not frames:
        print(f'No frame images found in "{folder}".', file=sys.stderr)
        return 1
    print('All frame names are valid.')
    return 0


def find_videos(source: str, subjects):
    """(path, subject, action, camera) of the videos of ``subjects``."""
    videos = []
    for path in find_files(source, ('.mp4', '.avi', '.mov', '.mkv')):
        match = VIDEO_NAME.match(osp.basename(path))
        subject = None
        for part in reversed(osp.relpath(path, source).split(os.sep)[:-1]):
            found = re.fullmatch(r'S(\d+)', part)
            if found:
                subject = int(found.group(1))
                break
        if match is None or subject is None:
            print(f'skipped (not S<k>/.../<Action>.<camera>.mp4): {path}',
                  file=sys.stderr)
            continue
        action = match.group(1).strip()
        if action.startswith('_') or subject not in subjects:
            continue
        videos.append((path, subject, action.replace(' ', '_'),
                       match.group(2)))
    return videos


def write(target: str, frame, params) -> None:
    if not cv2.imwrite(target, frame, params):
        raise RuntimeError(f'cannot write "{target}".')


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.check:
        return check(args.source)
    if not osp.isdir(args.source):
        print(f'Source folder "{args.source}" not found.', file=sys.stderr)
        return 1
    size = parse_size(args.image_size)
    videos = find_videos(args.source, set(args.subjects))
    if not videos:
        print(f'No Human3.6M video of the subjects {args.subjects} found '
              f'under "{args.source}" (expected S<k>/Videos/<Action>.'
              '<camera>.mp4).', file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    params = [cv2.IMWRITE_JPEG_QUALITY, args.quality]
    failures, frames = [], 0
    for path, subject, action, camera in progress(videos, len(videos),
                                                  'human36m'):
        prefix = osp.join(args.out, f'S{subject}_{action}.{camera}_')
        if osp.exists(prefix + '000001.jpg') and not args.overwrite:
            continue
        try:
            # frame 1 is written last: its presence marks a finished video
            first = None
            for number, frame in read_video(path, gray=False,
                                            every=args.every, size=size):
                if number == 1:
                    first = frame
                    continue
                write(f'{prefix}{number:06d}.jpg', frame, params)
                frames += 1
            write(prefix + '000001.jpg', first, params)
            frames += 1
        except RuntimeError as error:
            failures.append((path, str(error)))
    print(f'Wrote {frames} frames of {len(videos)} videos into "{args.out}".')
    return report_failures(failures)


if __name__ == '__main__':
    sys.exit(main())
