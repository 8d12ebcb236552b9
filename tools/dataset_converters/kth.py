"""Convert the KTH action videos (.avi) into folders of frames.

KTH (https://www.csc.kth.se/cvap/actions/) comes as one zip per action
(walking.zip, ...) of videos named person<XX>_<action>_d<N>_uncomp.avi
(160x120, 25 fps). This script finds those videos anywhere under SOURCE and
writes the layout that stpredict's KTH dataset reads:

    OUT/<action>/person<XX>_<action>_d<N>_uncomp/image_0001.png, ...

as 8-bit grayscale PNGs (OpenCV only). Videos already converted are skipped
(use --overwrite to redo them). Example:

    python tools/dataset_converters/kth.py data/kth_avi data/kth
"""
import argparse
import os
import os.path as osp
import re
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from converter_utils import (find_files, parse_size, progress,  # noqa: E402
                             report_failures, video_to_folder)

ACTIONS = ('boxing', 'handclapping', 'handwaving', 'jogging', 'running',
           'walking')
VIDEO_NAME = re.compile(r'^person(\d+)_([a-z]+)_d(\d+)(_uncomp)?\.avi$',
                        re.IGNORECASE)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert KTH .avi videos into folders of PNG frames '
        '(OUT/<action>/personXX_<action>_dN_uncomp/image_XXXX.png).')
    parser.add_argument('source', help='folder with the .avi files '
                        '(searched recursively)')
    parser.add_argument('out', help='output root (the data_root of KTH)')
    parser.add_argument('--actions', nargs='+', default=list(ACTIONS),
                        choices=ACTIONS, help='actions to convert '
                        '(default: all six)')
    parser.add_argument('--image-size', default=None,
                        help='resize frames to N or HxW when converting '
                        '(default: keep 160x120; the dataset can resize '
                        'when reading)')
    parser.add_argument('--every', type=int, default=1,
                        help='keep every k-th frame (default 1: all)')
    parser.add_argument('--overwrite', action='store_true',
                        help='convert videos whose folder already exists')
    args = parser.parse_args(argv)
    if args.every < 1:
        parser.error('--every must be >= 1')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isdir(args.source):
        print(f'Source folder "{args.source}" not found.', file=sys.stderr)
        return 1
    size = parse_size(args.image_size)
    jobs, skipped = [], []
    for path in find_files(args.source, ('.avi', )):
        match = VIDEO_NAME.match(osp.basename(path))
        if match is None or match.group(2).lower() not in ACTIONS:
            skipped.append(path)
            continue
        action = match.group(2).lower()
        if action not in args.actions:
            continue
        name = (f'person{int(match.group(1)):02d}_{action}_'
                f'd{match.group(3)}_uncomp')
        jobs.append((path, osp.join(args.out, action, name)))
    for path in skipped:
        print(f'skipped (not named personXX_<action>_dN[_uncomp].avi): '
              f'{path}', file=sys.stderr)
    if not jobs:
        print(f'No KTH video (personXX_<action>_dN_uncomp.avi) of the actions '
              f'{args.actions} found under "{args.source}".', file=sys.stderr)
        return 1
    failures, converted, frames = [], 0, 0
    for path, out_dir in progress(jobs, len(jobs), 'kth'):
        if osp.isdir(out_dir) and os.listdir(out_dir) and not args.overwrite:
            continue
        try:
            frames += video_to_folder(path, out_dir, gray=True,
                                      every=args.every, size=size)
            converted += 1
        except RuntimeError as error:
            failures.append((path, str(error)))
    print(f'Converted {converted} of {len(jobs)} videos ({frames} frames) '
          f'into "{args.out}".')
    return report_failures(failures)


if __name__ == '__main__':
    sys.exit(main())
