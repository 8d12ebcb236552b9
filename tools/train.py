"""Train a stpredict model from a config.

Examples:
    python tools/train.py \
        configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py
    python tools/train.py CONFIG --work-dir work_dirs/run1 --resume
    python tools/train.py CONFIG --resume work_dirs/run1/iter_200.pth
    python tools/train.py CONFIG --cfg-options train_cfg.max_iters=1000
    python tools/train.py CONFIG --threads 1
"""
import argparse
import os
import os.path as osp
import signal
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import torch.distributed as torch_dist  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from stpredict.apis.config_check import check_config  # noqa: E402
from stpredict.engine.cpu_threads import setup_cpu_threads  # noqa: E402
from stpredict.engine.hooks.dist_watchdog_hook import (  # noqa: E402
    CollectiveTimeoutError, explain_collective_failure)
from stpredict.engine.hooks.stop_signal_hook import \
    TrainingInterrupted  # noqa: E402
from stpredict.engine.hooks.work_dir_lock_hook import (  # noqa: E402
    acquire_work_dir_lock, main_rank)
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.amp_settings import prepare_amp  # noqa: E402
from stpredict.utils.config_loading import load_config  # noqa: E402
from stpredict.utils.distributed import (prepare_launcher,  # noqa: E402
                                         shutdown_distributed)
from stpredict.utils.resume import find_resumable_checkpoint  # noqa: E402
from stpredict.utils.run_files import check_checkpoint  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a stpredict model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint; without a value, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: float16 AMP on a GPU, bfloat16 autocast on '
        'the CPU')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate with the total batch size (base: '
        'auto_scale_lr.base_batch_size, by default the config\'s batch size '
        'on one device)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        'train_cfg.max_iters=100 model.neck.num_layers=2')
    parser.add_argument(
        '--threads',
        type=int,
        help='PyTorch CPU threads per process (default: OMP_NUM_THREADS if '
        'set, else the physical cores divided by the local processes; see '
        'docs/training.md)')
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


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command line to the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        prepare_amp(cfg)
    if main_rank():
        # before looking at (and tidying) the work dir's checkpoints
        acquire_work_dir_lock(cfg.work_dir)
    if args.resume == 'auto':
        # the newest *complete* checkpoint, or a fresh start when none
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
        if cfg.load_from is None:
            print(f'--resume auto: no checkpoint in {cfg.work_dir} yet, '
                  'training starts from the beginning.')
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.auto_scale_lr:
        scaling = dict(cfg.get('auto_scale_lr') or {})
        scaling['enable'] = True
        # the configs' learning rates are tuned for their batch size on one
        # device; N devices (or processes) then scale the rate by N
        scaling.setdefault('base_batch_size',
                           cfg.train_dataloader.batch_size)
        cfg.auto_scale_lr = scaling
    return cfg


def main() -> None:
    args = parse_args()
    threads = setup_cpu_threads(args.threads)
    register_all_modules(init_default_scope=False)
    cfg = load_config(args.config, args.cfg_options)
    cfg = merge_args(cfg, args)
    if cfg.get('load_from'):
        check_checkpoint(cfg.load_from)
    check_config(cfg)
    prepare_launcher(cfg)
    try:
        runner = Runner.from_cfg(cfg)
        runner.logger.info(threads)
        runner.train()
    except TrainingInterrupted as stop:
        # a checkpoint was saved; the log says how to resume
        shutdown_distributed(wait_for_peers=False)
        sys.exit(stop.exit_code)
    except KeyboardInterrupt:
        shutdown_distributed(wait_for_peers=False)
        print('Interrupted: the run stopped at once (before training '
              'started, or on a second Ctrl-C). The checkpoints on disk are '
              'complete; continue with --resume auto.', file=sys.stderr)
        sys.exit(128 + signal.SIGINT)
    except BaseException as error:
        explanation = None
        if torch_dist.is_available() and torch_dist.is_initialized():
            timeout = (cfg.get('env_cfg') or {}).get('dist_cfg', {}).get(
                'timeout')
            explanation = explain_collective_failure(error, cfg.work_dir,
                                                     timeout)
        shutdown_distributed(wait_for_peers=False)
        if explanation:
            raise CollectiveTimeoutError(explanation) from error
        raise
    del runner
    shutdown_distributed()


if __name__ == '__main__':
    main()
