"""Test (evaluate) a trained stpredict model.

Examples:
    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --show-dir vis --work-dir W
    python tools/test.py zoo:NAME    # a model of docs/model_zoo.md
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

from mmengine.config import DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from stpredict.apis.model_zoo import is_zoo_name  # noqa: E402
from stpredict.apis.model_zoo import resolve_model_files
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.launch import check_checkpoint  # noqa: E402
from stpredict.utils.launch import (check_config, load_config,
                                    prepare_launcher, shutdown_distributed,
                                    visualization_hook_cfg)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a stpredict model')
    parser.add_argument(
        'config', help='test config file path, or zoo:NAME alone')
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint file or zoo:NAME')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--show-dir',
        help='write a picture of observed, true and predicted frames for '
        'the first --num-show sequences to this folder')
    parser.add_argument('--num-show', type=int, default=4)
    parser.add_argument(
        '--out',
        help='dump the metrics (with per-frame curves) to a JSON file')
    parser.add_argument(
        '--save-predictions',
        metavar='DIR',
        help='save the predicted frames of every test sequence to '
        'DIR/predictions.npy (float32 [N, T_out, C, H, W] in [0, 1], in '
        'dataset order; DIR/sample_idx.npy holds the dataset index of each '
        'row)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    if args.checkpoint is None and not is_zoo_name(args.config):
        raise ValueError('No checkpoint given: give CONFIG CHECKPOINT, or '
                         'zoo:NAME alone (see docs/model_zoo.md).')
    args.config, args.checkpoint = resolve_model_files(
        args.config, args.checkpoint)
    check_checkpoint(args.checkpoint)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.show_dir:
        # keep the config's drawing options (radar colour map, lead times)
        shown = dict(
            visualization_hook_cfg(cfg)
            or dict(type='PredictionVisualizationHook'))
        shown.update(num_samples=args.num_show, out_dir=args.show_dir,
                     draw_val=False)
        shown.pop('sample_indices', None)
        # (check_config drops default_hooks.visualization for this one)
        cfg.custom_hooks = [
            hook for hook in cfg.get('custom_hooks', [])
            if hook.get('type') != 'PredictionVisualizationHook'
        ] + [shown]
    if args.save_predictions:
        cfg.custom_hooks = [
            hook for hook in cfg.get('custom_hooks', [])
            if hook.get('type') != 'PredictionSaverHook'
        ] + [dict(type='PredictionSaverHook', out_dir=args.save_predictions)]
    check_config(cfg, training=False)
    prepare_launcher(cfg)
    runner = Runner.from_cfg(cfg)
    try:
        metrics = runner.test()
    except BaseException:
        shutdown_distributed(wait_for_peers=False)
        raise
    del runner
    shutdown_distributed()
    if args.out:
        from stpredict.utils.launch import dump_metrics
        dump_metrics(metrics, args.out)


if __name__ == '__main__':
    main()
