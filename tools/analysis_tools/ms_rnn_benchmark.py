"""Reproduce MS-RNN Table 4 on the CPU: single-scale vs multi-scale models.

Trains and tests ConvLSTM vs MS-ConvLSTM and PredRNN vs MS-PredRNN (MIM vs
MS-MIM with ``--with-mim``) on two flying digits (built-in digits, 64x64,
10 -> 10) with the MS-RNN recipe scaled down to a CPU: 6 layers x 16
channels, 3x3 kernels, no patching, 1x1 stem and head, L1+L2 per-frame
loss, batch 4, Adam 1e-3, scheduled sampling over the whole run, the same
iterations for both models of a pair (which have identical parameters).
The configs are ``configs/ms_rnn/*_6x16_flying2digits-10to10_cpu.py``.

Every run goes through ``tools/train.py`` (``--resume auto``) and
``tools/test.py`` as subprocesses, one thread each. The checkpoint is chosen
on the validation split only (the best validation MSE of the checkpoints
saved during training) and that checkpoint is tested. A run whose test
metrics exist is skipped, so an interrupted benchmark continues where it
stopped when started again with the same arguments.

Printed: per seed and as mean +- std over seeds the test MSE and MAE per
frame and SSIM; for every pair a paired bootstrap 95% interval of the
per-sequence test MSE of MS-X minus X (same test sequences, paired by seed);
training time per step (median of the logged iteration times) and training
memory of one step (activations saved for the backward pass + weights,
gradients and Adam's moments, as ``ms_rnn_costs.py``). The tables are also
written to ``<work dir>/results.md``; ``--figure`` draws one test sequence
(observed, truth, then X and MS-X of every pair, first seed).

Budget (planned from steps timed on this 2-core CPU, 1 thread per process,
10 timed steps of each model at batch 4 with two processes at once on an
otherwise idle machine): one training step takes 1.63 s (ConvLSTM), 0.79 s
(MS-ConvLSTM), 3.47 s (PredRNN) and 1.68 s (MS-PredRNN); MIM 6.1 s and
MS-MIM 2.6 s (timed alone). With the default 360 iterations and 3 seeds the
12 runs of the two default pairs need about 8,200 s of training steps plus
about 1,400 s of validation (4 x 64 sequences per run), testing (256
sequences per run) and start-up: about 9,600 process-seconds, i.e. about 80
minutes with ``--jobs 2`` (about 160 with one job). ``--with-mim`` adds
about 12,000 process-seconds (about 100 minutes more with ``--jobs 2``).
On a machine shared with other jobs every step is slower.

Examples:
    python tools/analysis_tools/ms_rnn_benchmark.py --seeds 3 --jobs 2 \\
        --figure work_dirs/ms_rnn_benchmark/sequence.png
    python tools/analysis_tools/ms_rnn_benchmark.py --with-mim --jobs 2
    python tools/analysis_tools/ms_rnn_benchmark.py --iters 4 --seeds 2 \\
        --test-sequences 16 --val-sequences 8 --work-dir work_dirs/msb_smoke
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, NamedTuple, Optional, Sequence

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

#: cell key -> display name of the single-scale model
PAIRS = {'convlstm': 'ConvLSTM', 'predrnn': 'PredRNN', 'mim': 'MIM'}
DEFAULT_PAIRS = ('convlstm', 'predrnn')
CONFIG = 'configs/ms_rnn/{prefix}{cell}_6x16_flying2digits-10to10_cpu.py'
#: planned seconds per training step (ordering of the runs, longest first)
STEP_SECONDS = {
    ('convlstm', False): 1.63, ('convlstm', True): 0.79,
    ('predrnn', False): 3.47, ('predrnn', True): 1.68,
    ('mim', False): 6.1, ('mim', True): 2.6,
}
METRICS = [('mse_per_frame', 'MSE/frame', '{:.1f}'),
           ('mae_per_frame', 'MAE/frame', '{:.1f}'),
           ('ssim', 'SSIM', '{:.3f}')]
PER_SEQUENCE = 'mse_per_frame_per_sequence'
METRICS_FILE = 'test_metrics.json'
SETTINGS_FILE = 'benchmark_settings.json'


_PRINT_LOCK = threading.Lock()


def say(message: str) -> None:
    """Print one line at once (the runs report from parallel threads)."""
    with _PRINT_LOCK:
        sys.stdout.write(message + '\n')
        sys.stdout.flush()


class Run(NamedTuple):
    """One training + test run of the benchmark."""
    cell: str
    multi_scale: bool
    seed: int

    @property
    def name(self) -> str:
        return ('MS-' if self.multi_scale else '') + PAIRS[self.cell]

    @property
    def config(self) -> str:
        return CONFIG.format(prefix='ms_' if self.multi_scale else '',
                             cell=self.cell)

    def work_dir(self, root: str) -> str:
        stem = osp.splitext(osp.basename(self.config))[0]
        return osp.join(root, stem, f'seed{self.seed}')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pairs', nargs='+', default=list(DEFAULT_PAIRS),
                        choices=list(PAIRS),
                        help='cells to compare (default: convlstm predrnn)')
    parser.add_argument('--with-mim', action='store_true',
                        help='also compare MIM with MS-MIM')
    parser.add_argument('--seeds', type=int, default=3,
                        help='training seeds per model (default: 3)')
    parser.add_argument('--first-seed', type=int, default=0)
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at once, one thread each (default: 1)')
    parser.add_argument('--threads', type=int, default=1,
                        help='threads per run (default: 1)')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations of every run (default: '
                        "the configs' 300); validation every quarter")
    parser.add_argument('--val-sequences', type=int, default=None,
                        help="validation sequences (default: the configs' "
                        '64)')
    parser.add_argument('--test-sequences', type=int, default=None,
                        help="test sequences (default: the configs' 256)")
    parser.add_argument('--work-dir', default='work_dirs/ms_rnn_benchmark')
    parser.add_argument('--figure', default=None,
                        help='write a PNG of one test sequence: observed, '
                        'truth, X and MS-X of every pair (first seed)')
    parser.add_argument('--figure-sequence', type=int, default=0,
                        help='index of the test sequence drawn (default: 0)')
    parser.add_argument('--resamples', type=int, default=10000,
                        help='bootstrap resamples (default: 10000)')
    parser.add_argument('--no-memory', action='store_true',
                        help='do not measure the training memory per step')
    parser.add_argument('--time-steps', type=int, default=0,
                        help='also time N training steps of every model in '
                        'this process after the runs, the models taking '
                        'turns (round-robin, so that drift of the machine '
                        'hits all alike), with --threads threads; the '
                        'logged step times of the runs depend on what else '
                        'ran beside them (default: 0, off)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra --cfg-options for every run (they go '
                        'into the settings a finished run is checked '
                        'against)')
    args = parser.parse_args(argv)
    if args.with_mim and 'mim' not in args.pairs:
        args.pairs = list(args.pairs) + ['mim']
    if args.time_steps < 0:
        parser.error('--time-steps must be >= 0')
    for name in ('seeds', 'jobs', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be >= 1')
    for name in ('iters', 'val_sequences', 'test_sequences'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.test_sequences is not None and args.test_sequences < 2:
        parser.error('--test-sequences must be >= 2 (for the bootstrap)')
    return args


def plan_runs(pairs: Sequence[str], seeds: Sequence[int]) -> List[Run]:
    """All runs, longest first (so that parallel jobs finish together)."""
    runs = [
        Run(cell, multi, seed) for cell in pairs for multi in (False, True)
        for seed in seeds
    ]
    return sorted(runs, key=lambda run: -STEP_SECONDS[run.cell,
                                                      run.multi_scale])


def run_options(args: argparse.Namespace, run: Run) -> List[str]:
    """The ``--cfg-options`` of a run's training and test."""
    options = [f'randomness.seed={run.seed}']
    if args.iters is not None:
        interval = max(1, args.iters // 4)
        options += [
            f'train_cfg.max_iters={args.iters}',
            f'train_cfg.val_interval={interval}',
            f'default_hooks.checkpoint.interval={interval}',
            f'default_hooks.logger.interval={min(10, args.iters)}',
            f'log_processor.window_size={min(10, args.iters)}',
        ]
    if args.val_sequences is not None:
        options.append(
            f'val_dataloader.dataset.num_sequences={args.val_sequences}')
    if args.test_sequences is not None:
        options.append(
            f'test_dataloader.dataset.num_sequences={args.test_sequences}')
    return options + list(args.cfg_options)


def commands(args: argparse.Namespace, run: Run, checkpoint: str
             ) -> Dict[str, List[str]]:
    """The train and test command lines of a run.

    Args:
        args (argparse.Namespace): The benchmark's arguments.
        run (Run): The run.
        checkpoint (str): The checkpoint the test reads.

    Returns:
        dict: ``train`` and ``test`` argument lists.
    """
    work_dir = run.work_dir(args.work_dir)
    options = run_options(args, run)
    python = sys.executable
    train = [python, 'tools/train.py', run.config, '--work-dir', work_dir,
             '--resume', 'auto', '--cfg-options', *options]
    test = [python, 'tools/test.py', run.config, checkpoint, '--work-dir',
            work_dir, '--out', osp.join(work_dir, METRICS_FILE),
            '--cfg-options', *options, 'test_evaluator.0.per_sequence=True']
    return dict(train=train, test=test)


def finished(work_dir: str) -> bool:
    """Whether a run's test metrics (with per-sequence MSE) exist."""
    path = osp.join(work_dir, METRICS_FILE)
    if not osp.isfile(path):
        return False
    try:
        with open(path) as file:
            return PER_SEQUENCE in json.load(file)
    except (OSError, ValueError):
        return False


def check_settings(work_dir: str, options: List[str]) -> None:
    """Refuse to mix a run dir's results with other settings; record them."""
    path = osp.join(work_dir, SETTINGS_FILE)
    if osp.isfile(path):
        with open(path) as file:
            before = json.load(file).get('cfg_options')
        if before != options:
            raise SystemExit(
                f'{work_dir} holds a run with other settings '
                f'({before}) than this one ({options}). Give another '
                '--work-dir or delete that folder.')
        return
    os.makedirs(work_dir, exist_ok=True)
    with open(path, 'w') as file:
        json.dump(dict(cfg_options=options), file, indent=2)


def best_checkpoint(work_dir: str) -> str:
    """The checkpoint chosen on validation (the last one if none is)."""
    candidates = [
        osp.join(work_dir, name) for name in os.listdir(work_dir)
        if name.startswith('best_') and name.endswith('.pth')
    ]
    if candidates:
        return max(candidates, key=osp.getmtime)
    with open(osp.join(work_dir, 'last_checkpoint')) as file:
        last = file.read().strip()
    return last if osp.isabs(last) else osp.join(work_dir, last)


def logged_step_times(work_dir: str) -> List[float]:
    """Logged training iteration times (s) of every session of a run."""
    times: List[float] = []
    if not osp.isdir(work_dir):
        return times
    for session in sorted(os.listdir(work_dir)):
        path = osp.join(work_dir, session, 'vis_data', 'scalars.json')
        if not osp.isfile(path):
            continue
        with open(path) as file:
            entries = [json.loads(line) for line in file if line.strip()]
        train = [e['time'] for e in entries if 'time' in e and 'loss' in e]
        times += train[1:] if len(train) > 1 else train  # first: warm-up
    return times


def execute(command: List[str], log_path: str, threads: int) -> float:
    """Run a tool with ``threads`` threads, logging to a file.

    Returns:
        float: Its wall time in seconds.

    Raises:
        RuntimeError: If it fails (the message holds the log's end).
    """
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    start = time.time()
    with open(log_path, 'a') as log:
        result = subprocess.run(command, cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, env=env)
    if result.returncode != 0:
        with open(log_path) as log:
            tail = log.read()[-2000:]
        raise RuntimeError(f'{" ".join(command)} failed (log: {log_path}):'
                           f'\n{tail}')
    return time.time() - start


def train_and_test(args: argparse.Namespace, run: Run) -> Dict:
    """Train (resuming), test the best checkpoint; skip a finished run."""
    work_dir = run.work_dir(args.work_dir)
    check_settings(work_dir, run_options(args, run))
    timing_path = osp.join(work_dir, 'benchmark_times.json')
    if finished(work_dir):
        say(f'{run.name} seed {run.seed}: done before, skipped')
    else:
        say(f'{run.name} seed {run.seed}: training')
        train_seconds = execute(
            commands(args, run, '')['train'],
            osp.join(work_dir, 'benchmark_train.log'), args.threads)
        checkpoint = best_checkpoint(work_dir)
        test_seconds = execute(
            commands(args, run, checkpoint)['test'],
            osp.join(work_dir, 'benchmark_test.log'), args.threads)
        with open(timing_path, 'w') as file:
            json.dump(dict(train_seconds=train_seconds,
                           test_seconds=test_seconds,
                           checkpoint=osp.basename(checkpoint)), file)
        say(f'{run.name} seed {run.seed}: trained in {train_seconds:.0f} s, '
            f'tested {osp.basename(checkpoint)}')
    return load_result(work_dir)


def load_result(work_dir: str) -> Dict:
    """Test metrics, timing and step times of a finished run."""
    with open(osp.join(work_dir, METRICS_FILE)) as file:
        metrics = json.load(file)
    timing = {}
    timing_path = osp.join(work_dir, 'benchmark_times.json')
    if osp.isfile(timing_path):
        with open(timing_path) as file:
            timing = json.load(file)
    return dict(metrics=metrics, timing=timing,
                step_times=logged_step_times(work_dir))


def build_model_and_batch(cell: str, multi_scale: bool, threads: int):
    """A model of the benchmark (seed 0) and a random training batch."""
    import torch
    from mmengine.config import Config

    from stpredict.registry import MODELS
    from stpredict.utils import register_all_modules
    torch.set_num_threads(threads)
    register_all_modules(init_default_scope=False)
    run = Run(cell, multi_scale, 0)
    cfg = Config.fromfile(osp.join(ROOT, run.config))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = cfg.train_dataloader.batch_size
    frames = torch.rand(batch, model.input_frames + model.output_frames,
                        model.in_channels, 64, 64)
    return model, frames


def measure_costs(cell: str, multi_scale: bool, threads: int) -> Dict:
    """Parameters and training memory of one step of a model (batch 4)."""
    from stpredict.utils.complexity import (count_parameters,
                                            measure_training_memory)
    model, frames = build_model_and_batch(cell, multi_scale, threads)
    memory = measure_training_memory(model, frames)
    return dict(params=count_parameters(model), memory=memory['total'],
                batch=frames.shape[0])


def time_steps(models: Sequence[tuple], steps: int,
               threads: int) -> Dict[tuple, float]:
    """Median seconds per training step of every model, taking turns.

    Every model first runs one untimed step; then each round times one
    step of every model in turn, so that a change of the machine's load
    during the measurement reaches all models alike.

    Args:
        models (Sequence[tuple]): ``(cell, multi_scale)`` pairs.
        steps (int): Timed steps per model.
        threads (int): Torch threads.

    Returns:
        dict: ``(cell, multi_scale)`` -> median seconds per step.
    """
    import torch

    from stpredict.utils.complexity import time_training_step
    built = {}
    for key in models:
        model, frames = build_model_and_batch(*key, threads)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        time_training_step(model, frames, repeats=1, warmup=1,
                           optimizer=optimizer)
        built[key] = (model, frames, optimizer)
    times: Dict[tuple, List[float]] = {key: [] for key in models}
    for _ in range(steps):
        for key, (model, frames, optimizer) in built.items():
            times[key].append(time_training_step(
                model, frames, repeats=1, warmup=0, optimizer=optimizer))
    return {key: statistics.median(values) for key, values in times.items()}


def summarise(runs: List[Run], results: Dict[Run, Dict],
              costs: Dict[tuple, Dict], pairs: Sequence[str],
              resamples: int,
              alone: Optional[Dict[tuple, float]] = None) -> str:
    """The per-seed table, the mean +- std table and the paired intervals.

    Args:
        runs (list[Run]): The runs.
        results (dict): Each run's :func:`load_result`.
        costs (dict): ``(cell, multi_scale)`` -> :func:`measure_costs` (may
            be empty).
        pairs (Sequence[str]): The cells compared.
        resamples (int): Bootstrap resamples.
        alone (dict, optional): ``(cell, multi_scale)`` -> seconds per
            step of :func:`time_steps`. Defaults to None.

    Returns:
        str: Markdown.
    """
    import numpy as np

    from stpredict.utils.statistics import mean_std, paired_bootstrap
    models = [(cell, multi) for cell in pairs for multi in (False, True)]
    seeds = sorted({run.seed for run in runs})
    lines = ['### Per seed', '',
             '| model | seed | ' + ' | '.join(t for _, t, _ in METRICS) +
             ' | tested checkpoint |', '|' + ' --- |' * (len(METRICS) + 3)]
    for cell, multi in models:
        for seed in seeds:
            result = results[Run(cell, multi, seed)]
            values = [fmt.format(result['metrics'][key])
                      for key, _, fmt in METRICS]
            lines.append(f'| {Run(cell, multi, seed).name} | {seed} | ' +
                         ' | '.join(values) +
                         f' | {result["timing"].get("checkpoint", "-")} |')
    lines += ['', f'### Mean +- std over {len(seeds)} seeds', '',
              '| model | ' + ' | '.join(t for _, t, _ in METRICS) +
              ' | params | s / step (logged) | s / step (alone) |'
              ' train memory / step (MiB) | train time (s) |',
              '|' + ' --- |' * (len(METRICS) + 6)]
    for cell, multi in models:
        rows = [results[Run(cell, multi, seed)] for seed in seeds]
        cells = []
        for key, _, fmt in METRICS:
            mean, std = mean_std([row['metrics'][key] for row in rows])
            cells.append(f'{fmt.format(mean)} +- {fmt.format(std)}')
        steps = [t for row in rows for t in row['step_times']]
        step = f'{statistics.median(steps):.2f}' if steps else '-'
        walls = [row['timing'].get('train_seconds') for row in rows]
        walls = [w for w in walls if w is not None]
        wall = f'{statistics.mean(walls):.0f}' if walls else '-'
        cost = costs.get((cell, multi))
        params = f'{cost["params"] / 1e3:.1f}k' if cost else '-'
        memory = (f'{cost["memory"] / 2**20:.0f} (b{cost["batch"]})'
                  if cost else '-')
        single_step = (f'{alone[cell, multi]:.2f}'
                       if alone and (cell, multi) in alone else '-')
        lines.append(f'| {Run(cell, multi, 0).name} | ' + ' | '.join(cells) +
                     f' | {params} | {step} | {single_step} | {memory} |'
                     f' {wall} |')
    baseline = results[runs[0]]['metrics']
    if all(f'{key}_copy_last' in baseline for key, _, _ in METRICS):
        lines.append('| copy last observed frame | ' + ' | '.join(
            fmt.format(baseline[f'{key}_copy_last'])
            for key, _, fmt in METRICS) + ' | - | - | - | - | - |')
    lines += ['', '### MS-X minus X: per-sequence test MSE/frame, paired '
              'bootstrap over test sequences (95%)', '',
              '| pair | mean difference | 95% interval | share of resamples '
              '< 0 | relative |', '| --- | --- | --- | --- | --- |']
    for cell in pairs:
        single = np.array([
            results[Run(cell, False, seed)]['metrics'][PER_SEQUENCE]
            for seed in seeds
        ])
        multi = np.array([
            results[Run(cell, True, seed)]['metrics'][PER_SEQUENCE]
            for seed in seeds
        ])
        interval = paired_bootstrap(multi, single, num_resamples=resamples)
        relative = interval['mean'] / single.mean()
        lines.append(
            f'| {Run(cell, True, 0).name} - {PAIRS[cell]} | '
            f'{interval["mean"]:+.1f} | [{interval["low"]:+.1f}, '
            f'{interval["high"]:+.1f}] | {interval["p_below_zero"]:.3f} | '
            f'{relative:+.1%} |')
    return '\n'.join(lines)


def draw_figure(args: argparse.Namespace, path: str) -> None:
    """One test sequence: observed, truth, then X and MS-X of every pair."""
    import cv2
    import numpy as np
    import torch
    from mmengine.config import Config

    from stpredict.apis import forecast, init_forecaster
    from stpredict.registry import DATASETS
    from stpredict.utils import register_all_modules
    from stpredict.visualization.frame_grid import sequence_grid
    register_all_modules(init_default_scope=False)
    seed = args.first_seed
    first = Run(args.pairs[0], False, seed)
    cfg = Config.fromfile(osp.join(ROOT, first.config))
    dataset_cfg = dict(cfg.test_dataloader.dataset)
    dataset_cfg['num_sequences'] = max(args.figure_sequence + 1, 1)
    dataset = DATASETS.build(dataset_cfg)
    frames = dataset.generate(args.figure_sequence)['frames']  # T,H,W,1
    sequence = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    t_in = cfg.model.input_frames
    rows, labels = [sequence[:t_in], sequence[t_in:]], ['observed', 'truth']
    for cell in args.pairs:
        for multi in (False, True):
            run = Run(cell, multi, seed)
            work_dir = run.work_dir(args.work_dir)
            model = init_forecaster(
                osp.join(ROOT, run.config), best_checkpoint(work_dir))
            pred = forecast(model, frames[:t_in], layout='THWC')
            rows.append(torch.from_numpy(pred).permute(0, 3, 1, 2).float() /
                        255)
            labels.append(run.name)
    grid = sequence_grid(rows)
    margin, height = 104, sequence.shape[-2]
    canvas = np.full((grid.shape[0], grid.shape[1] + margin, 3), 255,
                     dtype=np.uint8)
    canvas[:, margin:] = grid
    for index, label in enumerate(labels):
        baseline = index * (height + 2) + height // 2 + 4
        cv2.putText(canvas, label, (4, baseline), cv2.FONT_HERSHEY_SIMPLEX,
                    0.38, (0, 0, 0), 1, cv2.LINE_AA)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not cv2.imwrite(path, cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR),
                       [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f'Could not write {path}.')
    print(f'figure of test sequence {args.figure_sequence}: {path}')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    os.makedirs(args.work_dir, exist_ok=True)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = plan_runs(args.pairs, seeds)
    start = time.time()
    results: Dict[Run, Dict] = {}
    failures: List[str] = []

    def work(run: Run) -> None:
        try:
            results[run] = train_and_test(args, run)
        except RuntimeError as error:
            failures.append(str(error))
            say(f'{run.name} seed {run.seed}: FAILED')

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(work, runs))
    if failures:
        sys.exit('\n\n'.join(failures) + '\nRun the same command again to '
                 'continue: finished runs are kept.')
    costs = {}
    if not args.no_memory:
        for cell in args.pairs:
            for multi in (False, True):
                costs[cell, multi] = measure_costs(cell, multi, args.threads)
    alone = None
    if args.time_steps:
        alone = time_steps([(cell, multi) for cell in args.pairs
                            for multi in (False, True)], args.time_steps,
                           args.threads)
    report = summarise(runs, results, costs, args.pairs, args.resamples,
                       alone)
    elapsed = time.time() - start
    header = (f'## MS-RNN CPU benchmark: {len(seeds)} seeds, '
              f'{len(runs)} runs, --jobs {args.jobs}, {elapsed / 60:.1f} '
              'minutes (this invocation)\n')
    print('\n' + header + '\n' + report)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as file:
        file.write(header + '\n' + report + '\n')
    if args.figure:
        draw_figure(args, args.figure)


if __name__ == '__main__':
    main()
