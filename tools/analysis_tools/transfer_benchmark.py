"""Compare transfer methods on flying digits at a CPU budget (TMU Table 1).

Two sources (tiny 2 x 32 ConvLSTMs trained on one and on two flying digits,
shipped in checkpoints/tmu_cpu/, or retrained with --retrain-sources) teach a
target on three flying digits with scarce training data (128 sequences, 300
iterations). Every arm is trained with tools/train.py and its best
validation checkpoint tested with tools/test.py, as a user would run them,
for every seed. The table gives per-seed and mean +- std test MSE/SSIM over
seeds, and a paired bootstrap 95% interval of each arm's per-sequence MSE
difference against training from scratch and against finetuning (the same
256 test sequences for every arm; model selection uses the val split only).

Presets:
    demo        scratch, finetune (2 digits), memory transfer (1 + 2
                digits), one seed: the README's main job (tools/quickstart.sh)
    table1-cpu  the reproduction: ConvLSTM and TMU from scratch, finetune
                and L2-SP from 2 digits, knowledge flow and memory transfer
                from both, memory transfer with the paper's plain
                initialisation; 3 seeds

Examples (from the repository root):
    python tools/analysis_tools/transfer_benchmark.py \
        --preset table1-cpu --jobs 2
    python tools/analysis_tools/transfer_benchmark.py \
        --methods scratch tmu --seeds 0 1
    python tools/analysis_tools/transfer_benchmark.py \
        --preset demo --retrain-sources

An interrupted benchmark continues where it stopped when run again with the
same work dir (finished runs are kept, unfinished ones resume from their
last checkpoint).
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional

import numpy as np

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

from stpredict.utils.statistics import mean_std, paired_bootstrap  # noqa

SOURCES = {
    '1digit': 'configs/convlstm/convlstm_2x32_flying1digit-10to10_cpu.py',
    '2digits': 'configs/convlstm/convlstm_2x32_flying2digits-10to10_cpu.py',
}
SHIPPED = 'checkpoints/tmu_cpu/{}.pth'
TARGET = 'configs/tmu/{}_2x32_flying3digits-10to10_cpu{}.py'
#: arm -> (title, config, sources it needs)
METHODS = {
    'scratch': ('ConvLSTM, from scratch',
                TARGET.format('scratch_convlstm', ''), ()),
    'tmu_scratch': ('TMU, from scratch', TARGET.format('scratch_tmu', ''),
                    ()),
    'finetune1': ('finetune (1 digit)',
                  TARGET.format('finetune_convlstm', '_from1digit'),
                  ('1digit', )),
    'finetune': ('finetune (2 digits)',
                 TARGET.format('finetune_convlstm', '_from2digits'),
                 ('2digits', )),
    'l2sp1': ('L2-SP (1 digit)',
              TARGET.format('l2sp_convlstm', '_from1digit'), ('1digit', )),
    'l2sp': ('L2-SP (2 digits)',
             TARGET.format('l2sp_convlstm', '_from2digits'), ('2digits', )),
    'kf': ('knowledge flow (1 + 2 digits)', TARGET.format('kf_convlstm', ''),
           ('1digit', '2digits')),
    'tmu1': ('memory transfer (1 digit)',
             TARGET.format('tmu_convlstm', '_from1digit'), ('1digit', )),
    'tmu2': ('memory transfer (2 digits)',
             TARGET.format('tmu_convlstm', '_from2digits'), ('2digits', )),
    'tmu': ('memory transfer (1 + 2 digits)',
            TARGET.format('tmu_convlstm', ''), ('1digit', '2digits')),
    'tmu_plain': ('memory transfer (1 + 2), plain Eq. 5 init',
                  TARGET.format('tmu_convlstm', '_plaininit'),
                  ('1digit', '2digits')),
}
PRESETS = {
    'demo': dict(methods=['scratch', 'finetune', 'tmu'], seeds=[0]),
    'table1-cpu': dict(
        methods=['scratch', 'tmu_scratch', 'finetune', 'l2sp', 'kf', 'tmu',
                 'tmu_plain'],
        seeds=[0, 1, 2]),
}
#: metric key, column name, format
COLUMNS = [('mse_per_frame', 'MSE/frame', '{:.1f}'),
           ('mae_per_frame', 'MAE/frame', '{:.1f}'),
           ('ssim', 'SSIM', '{:.3f}'), ('psnr', 'PSNR', '{:.2f}')]
#: test_evaluator indices of MSE and SSIM in the flying-digits configs
PER_SEQUENCE = ['test_evaluator.0.per_sequence=True',
                'test_evaluator.2.per_sequence=True']


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('--preset', choices=list(PRESETS), default='demo')
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        help='arms to run (default: the preset\'s)')
    parser.add_argument('--seeds', nargs='+', type=int,
                        help='training seeds (default: the preset\'s)')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/transfer_benchmark/PRESET')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at the same time (each with --threads)')
    parser.add_argument('--threads', type=int, default=1,
                        help='CPU threads per run (OMP_NUM_THREADS)')
    parser.add_argument('--retrain-sources', action='store_true',
                        help='train the sources instead of using the '
                        'shipped checkpoints/tmu_cpu/ files')
    parser.add_argument('--export-sources', action='store_true',
                        help='with --retrain-sources: write the retrained '
                        'sources (weights only) to checkpoints/tmu_cpu/')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra --cfg-options for every target run')
    return parser.parse_args()


def run(command: List[str], log_path: str, threads: int) -> float:
    """Run a tool with ``threads`` CPU threads, logging to a file; return
    its wall time."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    start = time.time()
    with open(log_path, 'a') as log:
        result = subprocess.run(command, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        with open(log_path) as log:
            tail = log.read()[-3000:]
        raise RuntimeError(
            f'{" ".join(command)} failed; log: {log_path}\n{tail}')
    return time.time() - start


def best_checkpoint(work_dir: str) -> str:
    """The best (validation) checkpoint of a run, else its last one."""
    candidates = [osp.join(work_dir, f) for f in os.listdir(work_dir)
                  if f.startswith('best_') and f.endswith('.pth')]
    if candidates:
        return max(candidates, key=osp.getmtime)
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        path = file.read().strip()
    return path if osp.isabs(path) else osp.join(work_dir, path)


def count_parameters(config: str) -> int:
    """Test-time parameters (the model without its transfer method)."""
    from mmengine.config import Config

    from stpredict.apis import strip_transfer
    from stpredict.registry import MODELS
    from stpredict.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = strip_transfer(Config.fromfile(osp.join(ROOT, config)))
    return sum(p.numel() for p in MODELS.build(cfg.model).parameters())


def export_weights(checkpoint: str, out: str) -> str:
    """Write a weights-only copy of a checkpoint; return its sha256."""
    import torch

    from stpredict.utils.atomic_io import sha256_of_file
    from stpredict.utils.checkpoint import safe_torch_load
    state = safe_torch_load(checkpoint, map_location='cpu')['state_dict']
    os.makedirs(osp.dirname(out), exist_ok=True)
    torch.save(dict(state_dict=state,
                    meta=dict(source=osp.basename(checkpoint))), out)
    digest = sha256_of_file(out)
    with open(out + '.sha256', 'w') as file:  # sha256sum's format
        file.write(f'{digest}  {osp.basename(out)}\n')
    return digest


class Benchmark:
    """Train and test every (arm, seed), then summarise."""

    def __init__(self, args: argparse.Namespace) -> None:
        preset = PRESETS[args.preset]
        self.args = args
        self.methods = args.methods or preset['methods']
        self.seeds = args.seeds if args.seeds is not None else preset['seeds']
        self.work_dir = args.work_dir or osp.join(
            'work_dirs', 'transfer_benchmark', args.preset)
        os.makedirs(osp.join(ROOT, self.work_dir), exist_ok=True)
        self.python = sys.executable
        self.source_checkpoints: Dict[str, str] = {}
        self.source_results: Dict[str, dict] = {}

    def path(self, *parts: str) -> str:
        return osp.join(ROOT, self.work_dir, *parts)

    # ------------------------------------------------------------------
    def prepare_sources(self) -> None:
        """Shipped source checkpoints, or train (and test) them."""
        needed = sorted({s for m in self.methods for s in METHODS[m][2]})
        jobs = []
        for name in needed:
            config = SOURCES[name]
            shipped = osp.join(ROOT, SHIPPED.format(
                osp.splitext(osp.basename(config))[0]))
            if osp.isfile(shipped) and not self.args.retrain_sources:
                self.source_checkpoints[name] = shipped
                print(f'source {name}: shipped {osp.relpath(shipped, ROOT)}',
                      flush=True)
            else:
                jobs.append(name)
        with ThreadPoolExecutor(max(1, self.args.jobs)) as pool:
            for name, checkpoint in zip(jobs,
                                        pool.map(self.train_source, jobs)):
                self.source_checkpoints[name] = checkpoint
        for name in needed:
            self.source_results[name] = self.test_source(name)

    def train_source(self, name: str) -> str:
        config = SOURCES[name]
        work_dir = self.path('sources', name)
        os.makedirs(work_dir, exist_ok=True)
        print(f'source {name}: training {config}', flush=True)
        seconds = run([self.python, 'tools/train.py', config, '--work-dir',
                       work_dir, '--resume', 'auto', '--cfg-options',
                       'randomness.seed=0'],
                      osp.join(work_dir, 'train.log'), self.args.threads)
        checkpoint = best_checkpoint(work_dir)
        print(f'source {name}: trained in {seconds:.0f} s -> {checkpoint}',
              flush=True)
        if self.args.export_sources:
            out = osp.join(ROOT, SHIPPED.format(
                osp.splitext(osp.basename(config))[0]))
            sha = export_weights(checkpoint, out)
            print(f'source {name}: exported {osp.relpath(out, ROOT)} '
                  f'sha256 {sha}', flush=True)
            return out
        return checkpoint

    def test_source(self, name: str) -> dict:
        """A source's own test metrics (on its own task)."""
        work_dir = self.path('sources', name)
        os.makedirs(work_dir, exist_ok=True)
        out = osp.join(work_dir, 'test_metrics.json')
        if not osp.isfile(out):
            run([self.python, 'tools/test.py', SOURCES[name],
                 self.source_checkpoints[name], '--work-dir', work_dir,
                 '--out', out], osp.join(work_dir, 'test.log'),
                self.args.threads)
        with open(out) as file:
            return json.load(file)

    # ------------------------------------------------------------------
    def source_options(self, method: str) -> List[str]:
        """Point a target config at the sources in use."""
        needed = METHODS[method][2]
        if method.startswith(('finetune', 'l2sp')):
            return ['model.transfer.checkpoint='
                    f'{self.source_checkpoints[needed[0]]}']
        return [
            f'model.transfer.sources.{index}.checkpoint='
            f'{self.source_checkpoints[name]}'
            for index, name in enumerate(needed)
        ]

    def run_arm(self, job: tuple) -> dict:
        method, seed = job
        title, config, _ = METHODS[method]
        work_dir = self.path(method, f'seed{seed}')
        os.makedirs(work_dir, exist_ok=True)
        result_path = osp.join(work_dir, 'result.json')
        if osp.isfile(result_path):
            with open(result_path) as file:
                return json.load(file)
        options = [f'randomness.seed={seed}'] + self.source_options(
            method) + self.args.cfg_options
        print(f'{title}, seed {seed}: training', flush=True)
        train_time = run(
            [self.python, 'tools/train.py', config, '--work-dir', work_dir,
             '--resume', 'auto', '--cfg-options', *options],
            osp.join(work_dir, 'train.log'), self.args.threads)
        metrics_path = osp.join(work_dir, 'test_metrics.json')
        checkpoint = best_checkpoint(work_dir)
        run([self.python, 'tools/test.py', config, checkpoint, '--work-dir',
             work_dir, '--out', metrics_path, '--show-dir',
             osp.join(work_dir, 'predictions'), '--cfg-options', *options,
             *PER_SEQUENCE], osp.join(work_dir, 'test.log'),
            self.args.threads)
        with open(metrics_path) as file:
            metrics = json.load(file)
        result = dict(method=method, seed=seed, metrics=metrics,
                      checkpoint=osp.relpath(checkpoint, ROOT),
                      train_time=train_time,
                      threads=self.args.threads, jobs=self.args.jobs)
        with open(result_path, 'w') as file:
            json.dump(result, file)
        print(f'{title}, seed {seed}: MSE/frame '
              f'{metrics["mse_per_frame"]:.1f} ({train_time:.0f} s)',
              flush=True)
        return result

    def run(self) -> None:
        start = time.time()
        self.prepare_sources()
        # slowest arms first so that parallel jobs finish together
        order = sorted(
            ((m, s) for s in self.seeds for m in self.methods),
            key=lambda job: (-len(METHODS[job[0]][2]), job[1]))
        with ThreadPoolExecutor(max(1, self.args.jobs)) as pool:
            results = list(pool.map(self.run_arm, order))
        elapsed = time.time() - start
        by_arm: Dict[str, Dict[int, dict]] = {}
        for result in results:
            by_arm.setdefault(result['method'], {})[result['seed']] = result
        text = self.summarise(by_arm, elapsed)
        print(text)
        with open(self.path('summary.md'), 'w') as file:
            file.write(text)
        print(f'\n(written to {osp.join(self.work_dir, "summary.md")})')

    # ------------------------------------------------------------------
    def summarise(self, by_arm: Dict[str, Dict[int, dict]],
                  elapsed: float) -> str:
        seeds = self.seeds
        lines = ['Sources (own test split, 256 sequences): ' + '; '.join(
            f'{name}: MSE/frame {r["mse_per_frame"]:.1f}, SSIM '
            f'{r["ssim"]:.3f} (copy-last {r["mse_per_frame_copy_last"]:.1f})'
            for name, r in self.source_results.items())]
        lines += ['', f'Target: 3 flying digits, 128 training sequences, '
                  f'300 iterations, best val checkpoint, 256 test sequences;'
                  f' seeds {seeds}; {self.args.threads} thread(s) per run, '
                  f'{self.args.jobs} run(s) at a time; this invocation took '
                  f'{elapsed / 60:.1f} min (finished runs are not re-run).',
                  '']
        header = ['method', 'MSE/frame (mean +- std)', 'per seed',
                  'SSIM', 'MAE/frame', 'PSNR', 'val MSE/frame (best)',
                  'params (test)', 'train time (s)']
        lines += ['| ' + ' | '.join(header) + ' |',
                  '|' + '|'.join(' --- ' for _ in header) + '|']
        baseline = None
        for method in self.methods:
            runs = [by_arm[method][s] for s in seeds]
            values = {key: [r['metrics'][key] for r in runs]
                      for key, _, _ in COLUMNS}
            mse, mse_std = mean_std(values['mse_per_frame'])
            ssim, ssim_std = mean_std(values['ssim'])
            mae, _ = mean_std(values['mae_per_frame'])
            psnr, _ = mean_std(values['psnr'])
            times = [r['train_time'] for r in runs]
            lines.append('| ' + ' | '.join([
                METHODS[method][0], f'{mse:.1f} +- {mse_std:.1f}',
                ' / '.join(f'{v:.1f}' for v in values['mse_per_frame']),
                f'{ssim:.3f} +- {ssim_std:.3f}', f'{mae:.1f}', f'{psnr:.2f}',
                self.val_column(method),
                f'{count_parameters(METHODS[method][1]) / 1e6:.3f}M',
                f'{np.mean(times):.0f}'
            ]) + ' |')
            baseline = runs[0]['metrics']
        if baseline is not None and 'mse_per_frame_copy_last' in baseline:
            lines.append('| ' + ' | '.join([
                'copy last observed frame',
                f'{baseline["mse_per_frame_copy_last"]:.1f}', '-',
                f'{baseline["ssim_copy_last"]:.3f}',
                f'{baseline["mae_per_frame_copy_last"]:.1f}',
                f'{baseline["psnr_copy_last"]:.2f}', '-', '-', '-']) + ' |')
        lines += ['', 'The intervals below resample test sequences with the '
                  'seeds paired; the spread over seeds is in the per-seed '
                  'differences.']
        for reference in ('scratch', 'tmu_scratch', 'finetune'):
            if reference not in by_arm:
                continue
            lines += ['', f'Paired bootstrap 95% interval of the MSE/frame '
                      f'difference against {METHODS[reference][0]} (mean '
                      'over seeds, resampling the 256 test sequences; '
                      'negative = better):', '',
                      '| method | difference | 95% interval | P(< 0) | '
                      'per-seed differences |',
                      '| --- | --- | --- | --- | --- |']
            ref = self.per_sequence(by_arm[reference], seeds)
            for method in self.methods:
                if method == reference:
                    continue
                mine = self.per_sequence(by_arm[method], seeds)
                diff = paired_bootstrap(mine, ref)
                per_seed = ' / '.join(
                    f'{d:+.1f}' for d in (mine - ref).mean(axis=1))
                lines.append(
                    f'| {METHODS[method][0]} | {diff["mean"]:+.1f} | '
                    f'[{diff["low"]:+.1f}, {diff["high"]:+.1f}] | '
                    f'{diff["p_below_zero"]:.2f} | {per_seed} |')
        lines += self.training_curves(by_arm)
        return '\n'.join(lines) + '\n'

    def training_curves(self, by_arm: Dict[str, Dict[int, dict]]) -> List[str]:
        """Frame and distillation losses and mean transfer gates during
        training of the arms that have them (mean over seeds)."""
        lines: List[str] = []
        for method in self.methods:
            curves = [self.train_scalars(method, seed) for seed in self.seeds]
            curves = [c for c in curves if c]
            if not curves or not any('loss_distill' in row
                                     for row in curves[0].values()):
                continue
            steps = sorted(set.intersection(*(set(c) for c in curves)))
            lines += ['', f'Training of {METHODS[method][0]} (mean over '
                      f'{len(curves)} seeds; logged every 50 iterations):',
                      '', '| iteration | loss_frame | beta * loss_distill | '
                      'mean gate a^m |', '| --- | --- | --- | --- |']
            for step in steps:
                rows = [c[step] for c in curves]
                gates = [np.mean([v for k, v in r.items()
                                  if k.startswith('gate_l')]) for r in rows]
                lines.append(
                    f'| {step} | '
                    f'{np.mean([r["loss_frame"] for r in rows]):.1f} | '
                    f'{np.mean([r["loss_distill"] for r in rows]):.1f} | '
                    f'{np.mean(gates):.3f} |')
        return lines

    def val_column(self, method: str) -> str:
        """Mean +- std over seeds of the best validation MSE/frame (the
        score that picked the tested checkpoint)."""
        scores = []
        for seed in self.seeds:
            log = self.path(method, f'seed{seed}', 'train.log')
            if not osp.isfile(log):
                return '-'
            with open(log) as file:
                found = re.findall(
                    r'The best checkpoint with ([0-9.]+) mse_per_frame',
                    file.read())
            if not found:
                return '-'
            scores.append(float(found[-1]))
        mean, std = mean_std(scores)
        return f'{mean:.1f} +- {std:.1f}'

    def train_scalars(self, method: str, seed: int) -> Dict[int, dict]:
        """``{iteration: logged training scalars}`` of one run."""
        work_dir = self.path(method, f'seed{seed}')
        rows: Dict[int, dict] = {}
        if not osp.isdir(work_dir):
            return rows
        for stamp in sorted(os.listdir(work_dir)):
            path = osp.join(work_dir, stamp, 'vis_data', 'scalars.json')
            if not osp.isfile(path):
                continue
            with open(path) as file:
                for line in file:
                    row = json.loads(line)
                    if 'loss_frame' in row and row.get('step', 0) % 50 == 0:
                        rows[int(row['step'])] = row
        return rows

    @staticmethod
    def per_sequence(runs: Dict[int, dict], seeds: List[int]) -> np.ndarray:
        """``[seeds, sequences]`` per-sequence test MSE."""
        return np.array([
            runs[s]['metrics']['mse_per_frame_per_sequence'] for s in seeds
        ])


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args() if argv is None else parse_args_from(argv)
    if args.export_sources and not args.retrain_sources:
        sys.exit('--export-sources writes retrained sources: add '
                 '--retrain-sources.')
    Benchmark(args).run()


def parse_args_from(argv: List[str]) -> argparse.Namespace:
    old = sys.argv
    sys.argv = [old[0]] + list(argv)
    try:
        return parse_args()
    finally:
        sys.argv = old


if __name__ == '__main__':
    main()
