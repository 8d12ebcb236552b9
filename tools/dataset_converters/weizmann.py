"""Convert the Weizmann action videos (.avi) into folders of frames.

The Weizmann actions (https://www.wisdom.weizmann.ac.il/~vision/
SpaceTimeActions.html) come as one zip per action of videos named
<person>_<action>[N].avi (daria_walk.avi, lena_run1.avi, 180x144). This
script finds them anywhere under SOURCE and writes the layout that stpredict's
Weizmann dataset reads:

    OUT/<action>/<person>_<action>[N]/image_0001.png, ...

as 8-bit grayscale PNGs (or colour with --color), with OpenCV only. Videos
already converted are skipped unless --overwrite. Example:

    python tools/dataset_converters/weizmann.py data/weizmann_avi data/weizmann
"""
import argparse
import os
import os.path as osp
import re
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from converter_utils import (find_files, parse_size, progress,  # noqa: E402
                             report_failures, video_to_folder)

ACTIONS = ('bend', 'jack', 'jump', 'pjump', 'run', 'side', 'skip', 'walk',
           'wave1', 'wave2')
VIDEO_NAME = re.compile(r'^([a-z]+)_([a-z]+\d*)\.avi$', re.IGNORECASE)


def video_action(token: str):
    """The action of a file name's second part: 'walk', 'run1' -> 'run',
    'wave2' -> 'wave2'; None when unknown."""
    token = token.lower()
    if token in ACTIONS:
        return token
    stripped = token.rstrip('0123456789')
    return stripped if stripped in ACTIONS else None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert Weizmann .avi videos into folders of PNG frames '
        '(OUT/<action>/<person>_<action>[N]/image_XXXX.png).')
    parser.add_argument('source', help='folder with the .avi files '
                        '(searched recursively)')
    parser.add_argument('out', help='output root (the data_root of Weizmann)')
    parser.add_argument('--actions', nargs='+', default=list(ACTIONS),
                        choices=ACTIONS, help='actions to convert '
                        '(default: all ten)')
    parser.add_argument('--image-size', default=None,
                        help='resize frames to N or HxW when converting '
                        '(default: keep 180x144)')
    parser.add_argument('--every', type=int, default=1,
                        help='keep every k-th frame (default 1: all)')
    parser.add_argument('--color', action='store_true',
                        help='keep colour (default: grayscale)')
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
    jobs = []
    for path in find_files(args.source, ('.avi', )):
        match = VIDEO_NAME.match(osp.basename(path))
        action = match and video_action(match.group(2))
        if not action:
            print(f'skipped (not named <person>_<action>[N].avi): {path}',
                  file=sys.stderr)
            continue
        if action not in args.actions:
            continue
        name = f'{match.group(1).lower()}_{match.group(2).lower()}'
        jobs.append((path, osp.join(args.out, action, name)))
    if not jobs:
        print(f'No Weizmann video (<person>_<action>.avi) of the actions '
              f'{args.actions} found under "{args.source}".', file=sys.stderr)
        return 1
    failures, converted, frames = [], 0, 0
    for path, out_dir in progress(jobs, len(jobs), 'weizmann'):
        if osp.isdir(out_dir) and os.listdir(out_dir) and not args.overwrite:
            continue
        try:
            frames += video_to_folder(path, out_dir, gray=not args.color,
                                      every=args.every, size=size)
            converted += 1
        except RuntimeError as error:
            failures.append((path, str(error)))
    print(f'Converted {converted} of {len(jobs)} videos ({frames} frames) '
          f'into "{args.out}".')
    return report_failures(failures)


if __name__ == '__main__':
    sys.exit(main())
