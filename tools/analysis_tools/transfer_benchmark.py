"""Compare transfer methods on flying digits at a CPU-sized budget.

Trains the two source models (one and two flying digits) unless they are
already trained in their default work dirs, then trains the three-digit
target with each method (from scratch, finetune, L2-SP, knowledge flow,
memory transfer with TMU) with a fixed seed, tests each, and prints one
table of test metrics (per-frame MSE/MAE, SSIM, PSNR), test-time
parameters and training time. Every run goes through tools/train.py and
tools/test.py, as a user would run them.

Examples:
    python tools/analysis_tools/transfer_benchmark.py                      # all methods
    python tools/analysis_tools/transfer_benchmark.py --methods scratch finetune tmu
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

SOURCES = {
    '1digit': 'configs/convlstm/convlstm_2x32_flying1digit-10to10_tiny.py',
    '2digits': 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py',
}
TARGET = 'configs/tmu/{}_convlstm_2x32_flying3digits-10to10_tiny.py'
METHODS = {
    'scratch': ('from scratch', TARGET.format('scratch')),
    'finetune': ('finetune (2 digits)', TARGET.format('finetune')),
    'l2sp': ('L2-SP (2 digits)', TARGET.format('l2sp')),
    'kf': ('knowledge flow (1 + 2 digits)', TARGET.format('kf')),
    'tmu': ('memory transfer, TMU (1 + 2 digits)', TARGET.format('tmu')),
}
COLUMNS = [('mse_per_frame', 'MSE/frame', '{:.1f}'),
           ('mae_per_frame', 'MAE/frame', '{:.1f}'),
           ('ssim', 'SSIM', '{:.3f}'), ('psnr', 'PSNR', '{:.2f}')]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--methods', nargs='+', default=list(METHODS),
                        choices=list(METHODS))
    parser.add_argument('--work-dir', default='work_dirs/transfer_benchmark')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--retrain-sources', action='store_true',
                        help='train the sources even if already trained')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra --cfg-options for every run')
    return parser.parse_args()


def run(command: List[str], log_path: str) -> float:
    """Run a tool, logging to a file; return its wall time."""
    start = time.time()
    with open(log_path, 'w') as log:
        result = subprocess.run(command, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT)
    if result.returncode != 0:
        with open(log_path) as log:
            tail = log.read()[-3000:]
        sys.exit(f'{" ".join(command)} failed; log: {log_path}\n{tail}')
    return time.time() - start


def best_checkpoint(work_dir: str) -> str:
    """The best checkpoint of a run (the last one if none is marked)."""
    candidates = [osp.join(work_dir, f) for f in os.listdir(work_dir)
                  if f.startswith('best_') and f.endswith('.pth')]
    if candidates:
        return max(candidates, key=osp.getmtime)
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        return file.read().strip()


def count_parameters(config: str) -> int:
    from mmengine.config import Config

    from stpredict.apis import strip_transfer
    from stpredict.registry import MODELS
    from stpredict.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = strip_transfer(Config.fromfile(osp.join(ROOT, config)))
    return sum(p.numel() for p in MODELS.build(cfg.model).parameters())


def main() -> None:
    args = parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    python = sys.executable
    options = [f'randomness.seed={args.seed}'] + args.cfg_options
    from stpredict.models.transfer.source_models import default_work_dir
    for name, config in SOURCES.items():
        work_dir = default_work_dir(config)
        trained = osp.isfile(osp.join(ROOT, work_dir, 'last_checkpoint'))
        if trained and not args.retrain_sources:
            print(f'source {name}: using {work_dir}', flush=True)
            continue
        print(f'source {name}: training {config}', flush=True)
        seconds = run([python, 'tools/train.py', config, '--work-dir',
                       work_dir, '--cfg-options', *options],
                      osp.join(args.work_dir, f'source_{name}.log'))
        print(f'source {name}: trained in {seconds:.0f} s', flush=True)

    rows: Dict[str, dict] = {}
    for method in args.methods:
        title, config = METHODS[method]
        work_dir = osp.join(args.work_dir, method)
        print(f'{title}: training {config}', flush=True)
        train_time = run([python, 'tools/train.py', config, '--work-dir',
                          work_dir, '--cfg-options', *options],
                         osp.join(args.work_dir, f'{method}_train.log'))
        metrics_path = osp.join(work_dir, 'test_metrics.json')
        run([python, 'tools/test.py', config, best_checkpoint(work_dir),
             '--work-dir', work_dir, '--out', metrics_path, '--show-dir',
             osp.join(work_dir, 'predictions'), '--cfg-options', *options],
            osp.join(args.work_dir, f'{method}_test.log'))
        with open(metrics_path) as file:
            metrics = json.load(file)
        rows[method] = dict(title=title, metrics=metrics,
                            params=count_parameters(config),
                            train_time=train_time)
        print(f'{title}: done ({train_time:.0f} s)', flush=True)
    print_table(rows)


def print_table(rows: Dict[str, dict]) -> None:
    header = ['method'] + [name for _, name, _ in COLUMNS] + [
        'params (test)', 'train time (s)']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(' --- ' for _ in header) + '|']
    baseline = None
    for row in rows.values():
        metrics = row['metrics']
        cells = [row['title']] + [
            fmt.format(metrics[key]) for key, _, fmt in COLUMNS
        ] + [f'{row["params"] / 1e6:.3f}M', f'{row["train_time"]:.0f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
        if 'mse_per_frame_copy_last' in metrics:
            baseline = metrics
    if baseline is not None:
        cells = ['copy last observed frame'] + [
            fmt.format(baseline[f'{key}_copy_last']) for key, _, fmt in COLUMNS
        ] + ['-', '-']
        lines.append('| ' + ' | '.join(cells) + ' |')
    print('\nTest metrics on 3 flying digits (256 test sequences):')
    print('\n'.join(lines))
    print('\nPictures of observed / true / predicted frames and the error: '
          '<work dir>/<method>/predictions/')


if __name__ == '__main__':
    main()
