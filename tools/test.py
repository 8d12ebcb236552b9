"""Test (evaluate) a trained stpredict model, beside naive baselines.

Examples:
    python tools/test.py CONFIG CHECKPOINT
    python tools/test.py CONFIG CHECKPOINT --show-dir vis --work-dir W
    python tools/test.py CONFIG CHECKPOINT --out W/test.json --threads 1
    python tools/test.py CONFIG CHECKPOINT --baselines copy_last optical_flow
    python tools/test.py zoo:NAME    # a model of docs/model_zoo.md
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dist import get_rank  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from stpredict.apis.config_check import check_config  # noqa: E402
from stpredict.apis.model_zoo import is_zoo_name  # noqa: E402
from stpredict.apis.model_zoo import resolve_model_files  # noqa: E402
from stpredict.engine.cpu_threads import setup_cpu_threads  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.config_loading import load_config  # noqa: E402
from stpredict.utils.distributed import (prepare_launcher,  # noqa: E402
                                         shutdown_distributed)
from stpredict.utils.hook_settings import visualization_hook_cfg  # noqa: E402
from stpredict.utils.run_files import check_checkpoint  # noqa: E402

#: The baselines of a config without ``test_baselines``.
DEFAULT_TEST_BASELINES = ('copy_last', 'zeros', 'train_mean')


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
        help='dump the metrics (with per-frame curves) and their provenance '
        '(config, checkpoint sha256, git commit, date, versions, threads) '
        'to a JSON file')
    parser.add_argument(
        '--save-predictions',
        metavar='DIR',
        help='save the predicted frames of every test sequence to '
        'DIR/predictions.npy (float32 [N, T_out, C, H, W] in [0, 1], in '
        'dataset order; DIR/sample_idx.npy holds the dataset index of each '
        'row, DIR/sequences.json what the dataset knows of each row: '
        'sequence name or index, first frame)')
    parser.add_argument(
        '--baselines',
        nargs='+',
        metavar='NAME',
        help='naive forecasts scored with the same metrics beside the '
        'model: copy_last, zeros, train_mean, optical_flow (pysteps, the '
        "nowcasting extra), or 'none'. Default: the config's "
        f'test_baselines, else {" ".join(DEFAULT_TEST_BASELINES)}')
    parser.add_argument(
        '--threads',
        type=int,
        help='PyTorch CPU threads per process (default: OMP_NUM_THREADS if '
        'set, else the physical cores divided by the local processes)')
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


def baseline_specs(cfg: Config, requested=None) -> list:
    """The baselines to score: ``--baselines``, else the config's
    ``test_baselines``, else :data:`DEFAULT_TEST_BASELINES`.

    ``train_mean`` gets the training dataset, the data preprocessor's
    ``value_scale`` and a cache folder under the work dir. A default
    ``train_mean`` is dropped (with a warning) when the config has no
    training data loader; one that was asked for fails.

    Args:
        cfg (Config): The merged config (with ``work_dir``).
        requested (list[str], optional): ``--baselines``.

    Returns:
        list[str | dict]: Baseline specs for ``BaselineEvaluator``.
    """
    explicit = requested is not None or 'test_baselines' in cfg
    specs = list(requested if requested is not None else cfg.get(
        'test_baselines', DEFAULT_TEST_BASELINES) or [])
    if [str(spec).lower() for spec in specs] == ['none']:
        return []
    resolved = []
    for spec in specs:
        spec = dict(type=spec) if isinstance(spec, str) else dict(spec)
        if spec['type'] in ('train_mean', 'TrainMeanForecast') and \
                'mean_file' not in spec:
            train = cfg.get('train_dataloader') or {}
            if not train.get('dataset'):
                if explicit:
                    raise ValueError(
                        'The train_mean baseline needs the training split, '
                        'but the config has no train_dataloader.dataset. '
                        "Give dict(type='train_mean', mean_file=...) or "
                        'leave train_mean out of --baselines.')
                print_log('No train_dataloader in the config: the '
                          'train_mean baseline is left out.', 'current',
                          level=30)
                continue
            preprocessor = (cfg.model.get('data_preprocessor') or {})
            spec.setdefault('dataset', train['dataset'])
            spec.setdefault('value_scale',
                            preprocessor.get('value_scale', 255.0))
            spec.setdefault('cache_dir', osp.join(cfg.work_dir, 'baselines'))
        if spec['type'] in ('optical_flow', 'OpticalFlowForecast'):
            from stpredict.evaluation.baselines import import_pysteps
            import_pysteps()  # fail before the model is built
        resolved.append(spec)
    return resolved


def wrap_test_evaluator(cfg: Config, specs: list) -> None:
    """Score the baselines with the config's test metrics, in place."""
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, dict) and evaluator.get('type') in (
            'BaselineEvaluator', 'stpredict.BaselineEvaluator'):
        evaluator = evaluator['metrics']
    elif isinstance(evaluator, dict) and 'metrics' in evaluator:
        if evaluator.get('type', 'Evaluator') not in (
                'Evaluator', 'mmengine.Evaluator'):
            raise ValueError(
                f"test_evaluator of type {evaluator['type']} cannot score "
                'baselines; use --baselines none.')
        evaluator = evaluator['metrics']
    metrics = [evaluator] if isinstance(evaluator, dict) else list(evaluator)
    cfg.test_evaluator = dict(type='BaselineEvaluator', metrics=metrics,
                              baselines=specs)


def main() -> None:
    args = parse_args()
    threads = setup_cpu_threads(args.threads)
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
    specs = baseline_specs(cfg, args.baselines)
    if specs:
        wrap_test_evaluator(cfg, specs)
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
    runner.logger.info(threads)
    try:
        metrics = runner.test()
    except BaseException:
        shutdown_distributed(wait_for_peers=False)
        raise
    main_rank = get_rank() == 0
    if main_rank:
        print_log('Test results\n' + result_table(cfg, metrics, specs),
                  logger='current')
    del runner
    shutdown_distributed()
    if args.out and main_rank:
        from stpredict.engine.run_provenance import run_provenance
        from stpredict.utils.run_files import dump_metrics
        provenance = run_provenance(
            args.config,
            args.checkpoint,
            threads=torch.get_num_threads(),
            threads_choice=threads,
            baselines=[spec['type'] for spec in specs],
            cfg_options=args.cfg_options and json.loads(
                json.dumps(dict(args.cfg_options), default=repr)),
            work_dir=cfg.work_dir)
        dump_metrics(dict(metrics, provenance=provenance), args.out)


def result_table(cfg: Config, metrics: dict, specs: list) -> str:
    """The short table of the model's and the baselines' results."""
    from stpredict.evaluation.baselines import BASELINE_FORECASTS
    from stpredict.evaluation.result_table import (format_result_table,
                                                   result_table_baselines)
    drawing = visualization_hook_cfg(cfg) or {}
    names = [
        spec['type'] for spec in specs if spec['type'] in BASELINE_FORECASTS
    ] + [
        forecast.name for forecast in BASELINE_FORECASTS.values()
        if forecast.__name__ in [spec['type'] for spec in specs]
    ]
    names = result_table_baselines(metrics, list(dict.fromkeys(
        names + ['copy_last'])))
    return format_result_table(
        metrics, names,
        lead_time_step=drawing.get('lead_time_step', 1.0),
        lead_time_unit=drawing.get('lead_time_unit', 'frame'))


if __name__ == '__main__':
    main()
