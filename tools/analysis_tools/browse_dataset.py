"""Write pictures of the sequences a config's data loader gives the model.

The dataset (with its pipeline) of ``<split>_dataloader`` in the config is
built exactly as for training or testing, and the first ``--num`` sequences
(from ``--start``) are drawn, one PNG each: the observed frames in the first
row and the future frames in the second, ``OUT/<split>_<index>.png``. Radar
data are drawn in the radar colour palette (``--cmap auto``: when the
config's PredictionVisualizationHook asks for it or the samples carry a
``value_transform``); see docs/visualization.md for the levels.

Usage:
    python tools/analysis_tools/browse_dataset.py CONFIG [--split SPLIT]
        [--num N] [--start I] [--out DIR] [--cmap auto|gray|radar]
        [--cfg-options KEY=VALUE ...]

Examples:
    python tools/analysis_tools/browse_dataset.py \\
        configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py \\
        --split val --num 4 --out work_dirs/browse/digits
    python tools/analysis_tools/browse_dataset.py \\
        configs/convlstm/convlstm_4x64_radardwd-5to5.py --split test
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import Config, DictAction  # noqa: E402

SPLITS = ('train', 'val', 'test')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write pictures (observed and future frames) of the '
        'sequences of a config\'s dataset.',
        epilog='Example: python tools/analysis_tools/browse_dataset.py '
        'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py '
        '--split val --num 4')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', choices=SPLITS, default='train',
                        help='whose data loader to use (default: train)')
    parser.add_argument('--num', type=int, default=8,
                        help='number of sequences to draw (default: 8)')
    parser.add_argument('--start', type=int, default=0,
                        help='index of the first sequence (default: 0)')
    parser.add_argument(
        '--out',
        help='folder of the pictures (default: '
        'work_dirs/browse_dataset/<config name>/)')
    parser.add_argument(
        '--cmap', choices=('auto', 'gray', 'radar'), default=None,
        help='colours: radar palette or gray (default: the config\'s '
        'PredictionVisualizationHook, else auto: radar when the samples '
        'carry a value_transform)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        'train_dataloader.dataset.num_sequences=16')
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error('--num must be at least 1')
    if args.start < 0:
        parser.error('--start must be >= 0')
    return args


def visualization_hook(cfg: Config, cmap=None):
    """A PredictionVisualizationHook with the colour settings of the
    config's (if any), ``cmap`` overriding its colour map."""
    from stpredict.engine.hooks import PredictionVisualizationHook
    from stpredict.utils.hook_settings import visualization_hook_cfg
    hook = visualization_hook_cfg(cfg) or {}
    settings = {
        key: hook[key]
        for key in ('cmap', 'pixel_to_value', 'zr_relation') if key in hook
    }
    if cmap is not None:
        settings['cmap'] = cmap
    return PredictionVisualizationHook(**settings)


def split_frames(item: dict):
    """Observed and future frames, float ``[T, C, H, W]`` in ``[0, 1]``, and
    the metainfo of one packed sample."""
    import torch
    frames, sample = item['inputs'], item['data_samples']
    if frames.dtype == torch.uint8:
        frames = frames.float() / 255.0
    observed = sample.metainfo.get('input_frames_num', frames.shape[0])
    future = frames[observed:] if observed < frames.shape[0] else None
    return frames[:observed], future, sample.metainfo


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        print(f'Config file "{args.config}" not found (run from the '
              'repository root).', file=sys.stderr)
        return 1
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    loader = cfg.get(f'{args.split}_dataloader', None)
    if not loader or 'dataset' not in loader:
        print(f'The config has no {args.split}_dataloader with a dataset; '
              f'choose another --split ({", ".join(SPLITS)}).',
              file=sys.stderr)
        return 1
    # imported here so that --help answers at once
    import cv2
    from mmengine.registry import init_default_scope
    from mmengine.utils import ProgressBar

    from stpredict.registry import DATASETS
    from stpredict.utils import register_all_modules
    from stpredict.visualization import sequence_grid

    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'stpredict'))
    try:
        dataset = DATASETS.build(loader['dataset'])
    except (FileNotFoundError, ValueError) as error:
        print(f'Cannot build the {args.split} dataset: {error}',
              file=sys.stderr)
        return 1
    hook = visualization_hook(cfg, args.cmap)
    out_dir = args.out or osp.join(
        'work_dirs', 'browse_dataset',
        osp.splitext(osp.basename(args.config))[0])
    os.makedirs(out_dir, exist_ok=True)
    indices = list(range(args.start, min(len(dataset),
                                         args.start + args.num)))
    print(f'{type(dataset).__name__} ({args.split}): {len(dataset)} '
          f'sequences; drawing {len(indices)} into "{out_dir}".')
    if not indices:
        print(f'--start {args.start} is past the end of the dataset.',
              file=sys.stderr)
        return 1
    bar = ProgressBar(len(indices))
    written = []
    for index in indices:
        observed, future, metainfo = split_frames(dataset[index])
        image = sequence_grid([observed, future],
                              colorize=hook.colorize(metainfo))
        path = osp.join(out_dir, f'{args.split}_{index}.png')
        if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            print(f'\nCannot write "{path}".', file=sys.stderr)
            return 1
        written.append(path)
        bar.update()
    print(f'\nWrote {len(written)} pictures ({image.shape[1]}x'
          f'{image.shape[0]} pixels, rows: observed, future) into '
          f'"{out_dir}".')
    return 0


if __name__ == '__main__':
    sys.exit(main())
