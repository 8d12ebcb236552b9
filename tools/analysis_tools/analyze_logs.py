"""Plot, compare and time training runs from their ``scalars.json`` logs.

Every training run writes ``WORK_DIR/<timestamp>/vis_data/scalars.json``
(mmengine's ``LocalVisBackend``, one JSON record per line): training
records (``loss``, ``lr``, ``time``, ``data_time``, ... with ``iter`` and
``step``) every ``default_hooks.logger.interval`` iterations, and one
validation record (``mse_per_frame``, ``ssim``, ..., ``val/time``) at the
iteration of each validation. Give a work dir (its newest session that
trained is read; ``--all-sessions`` joins every session of a resumed run,
the later session winning where two logged the same iteration), one
``<timestamp>`` folder, or a ``scalars.json`` file.

Sub-commands:

- ``plot_curve``: loss and any metric against the iteration, one panel per
  key, one line per run, into a PNG (matplotlib, Agg backend).
- ``compare``: one table of the final and best value of every validation
  metric of several runs.
- ``time``: time per training iteration: mean, median, slowest and fastest.

Examples:
    python tools/analysis_tools/analyze_logs.py plot_curve work_dirs/run1 work_dirs/run2 --keys loss mse_per_frame --out work_dirs/curves.png
    python tools/analysis_tools/analyze_logs.py compare work_dirs/run1 work_dirs/run2
    python tools/analysis_tools/analyze_logs.py time work_dirs/run1
"""  # noqa: E501
import argparse
import glob
import json
import math
import os
import os.path as osp
import statistics
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from stpredict.utils.text_table import format_table  # noqa: E402

#: keys of a training record that are not curves worth plotting by default
BOOKKEEPING = ('iter', 'step', 'epoch')
#: validation keys that are timings, not metrics
TIMINGS = ('val/time', 'val/data_time', 'time', 'data_time')
#: metrics whose smaller values are better (everything else: larger)
LOWER_IS_BETTER = ('loss', 'mse', 'mae', 'bmse', 'bmae', 'gdl', 'far',
                   'time', 'data_time', 'val/time', 'val/data_time')

Points = List[Tuple[int, float]]


class LogError(ValueError):
    """A log cannot be found or read."""


class Run(NamedTuple):
    """The logged scalars of one training run.

    Attributes:
        label (str): Name of the run in legends and tables.
        files (list[str]): The ``scalars.json`` files read, oldest first.
        train (dict): ``{key: [(iteration, value), ...]}`` of the training
            records, sorted by iteration.
        val (dict): The same for the validation records.
    """
    label: str
    files: List[str]
    train: Dict[str, Points]
    val: Dict[str, Points]


def warn(message: str) -> None:
    """Print a warning to stderr."""
    print(f'analyze_logs.py: warning: {message}', file=sys.stderr)


def lower_is_better(key: str) -> bool:
    """Whether smaller values of the metric ``key`` are better."""
    name = key.split('/')[-1]
    return key in LOWER_IS_BETTER or name.startswith(LOWER_IS_BETTER)


def session_files(path: str) -> List[str]:
    """The ``scalars.json`` files of a work dir, a session or a file.

    Args:
        path (str): A work dir of ``tools/train.py``, one of its
            ``<timestamp>`` folders, or a ``scalars.json`` file.

    Returns:
        list[str]: The files, oldest session first.

    Raises:
        LogError: If there is none.
    """
    if osp.isfile(path):
        return [path]
    own = osp.join(path, 'vis_data', 'scalars.json')
    if osp.isfile(own):
        return [own]
    files = sorted(glob.glob(osp.join(path, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        what = 'does not exist' if not osp.exists(path) else \
            'holds no <timestamp>/vis_data/scalars.json'
        raise LogError(
            f'{path} {what}. Give the work dir of a training run (tools/'
            'train.py --work-dir W writes W/<timestamp>/vis_data/'
            'scalars.json), one of its <timestamp> folders or a '
            'scalars.json file.')
    return files


def read_records(path: str) -> List[dict]:
    """The records of one ``scalars.json`` (one JSON object per line).

    A damaged last line (a run killed while writing) is skipped with a
    warning.

    Raises:
        LogError: If another line is not a JSON object.
    """
    with open(path, encoding='utf-8') as file:
        lines = [line for line in file.read().splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines):
                warn(f'{path}: skipped its damaged last line {number} '
                     f'({error.msg}).')
                continue
            raise LogError(
                f'{path} line {number} is not JSON ({error.msg}): the log is '
                'damaged. Remove or repair that line.') from None
        if not isinstance(record, dict):
            raise LogError(f'{path} line {number} is not a JSON object (got '
                           f'{type(record).__name__}): not a scalars.json '
                           'of mmengine.')
        records.append(record)
    return records


def _add_points(series: Dict[str, Dict[int, float]], record: dict,
                step: int) -> None:
    for key, value in record.items():
        if key in BOOKKEEPING or isinstance(value, bool) or not isinstance(
                value, (int, float)):
            continue
        series.setdefault(key, {})[step] = float(value)


def load_run(path: str,
             label: Optional[str] = None,
             all_sessions: bool = False) -> Run:
    """Read the logs of one run.

    Args:
        path (str): A work dir, a session folder or a ``scalars.json``.
        label (str, optional): The run's name. Defaults to None (the path).
        all_sessions (bool): Join every session of the work dir instead of
            reading the newest that trained. Defaults to False.

    Returns:
        Run: The run's training and validation series.

    Raises:
        LogError: If no log is found or a log is damaged.
    """
    files = session_files(path)
    per_file = [(name, read_records(name)) for name in files]
    if not all_sessions:
        trained = [(name, records) for name, records in per_file
                   if any('iter' in record for record in records)]
        per_file = [(trained or per_file)[-1]]
    train: Dict[str, Dict[int, float]] = {}
    val: Dict[str, Dict[int, float]] = {}
    placed = 0
    for _, records in per_file:
        last_iter = 0
        for record in records:
            step = int(record.get('step', record.get('iter', 0)))
            # training records carry the iteration, validation ones only
            # the step
            if 'iter' in record:
                last_iter = step
                _add_points(train, record, step)
                continue
            if step == 0 and last_iter > 0:
                # written by mmengine's LoggerHook at "epoch" 0: the
                # validation followed the last training record
                step, placed = last_iter, placed + 1
            _add_points(val, record, step)
    if placed:
        warn(f'{path}: {placed} validations were logged at step 0 '
             "(mmengine's LoggerHook with log_metric_by_epoch=True); each "
             'is placed at the iteration of the training record before it '
             '(exact when val_interval is a multiple of the logger '
             "interval). Runs with default_hooks.logger=dict(type="
             "'MetricLoggerHook') log each validation at its iteration.")
    return Run(
        label=label or path,
        files=[name for name, _ in per_file],
        train={k: sorted(v.items()) for k, v in train.items()},
        val={k: sorted(v.items()) for k, v in val.items()})


def run_labels(paths: Sequence[str]) -> List[str]:
    """Short distinct names of runs: the folder names, else longer paths."""
    names = [osp.basename(osp.normpath(p)) for p in paths]
    if len(set(names)) == len(names):
        return names
    if len(paths) > 1:
        common = osp.commonpath([osp.abspath(p) for p in paths])
        names = [osp.relpath(osp.abspath(p), common) for p in paths]
        if len(set(names)) == len(names):
            return names
    return list(paths)


def metric_keys(runs: Sequence[Run]) -> List[str]:
    """The validation metrics of the runs, in the order first logged."""
    keys: List[str] = []
    for run in runs:
        for key in run.val:
            if key not in TIMINGS and '_curves/' not in key \
                    and key not in keys:
                keys.append(key)
    return keys


def key_points(run: Run, key: str) -> Points:
    """The points of ``key`` (validation first, else training)."""
    return run.val.get(key) or run.train.get(key) or []


# ------------------------------------------------------------- plot_curve
def plot_curves(runs: Sequence[Run],
                keys: Sequence[str],
                out: str,
                panel_size: Tuple[int, int] = (640, 400),
                columns: int = 2,
                dpi: int = 100,
                title: Optional[str] = None) -> Tuple[int, int]:
    """Plot each key against the iteration, one line per run, into a PNG.

    Args:
        runs (Sequence[Run]): The runs.
        keys (Sequence[str]): Logged keys, one panel each.
        out (str): The PNG file.
        panel_size (tuple[int, int]): Width and height of a panel in
            pixels. Defaults to (640, 400).
        columns (int): Panels per row. Defaults to 2.
        dpi (int): Pixels per inch of the figure. Defaults to 100.
        title (str, optional): Title over the panels. Defaults to None.

    Returns:
        tuple[int, int]: Width and height of the picture in pixels.

    Raises:
        LogError: If a key is in none of the runs.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for key in keys:
        if not any(key_points(run, key) for run in runs):
            available = sorted({k for run in runs
                                for k in (*run.train, *run.val)})
            raise LogError(f'no run logged {key!r}; logged keys: '
                           f'{", ".join(available)}.')
    columns = max(1, min(columns, len(keys)))
    rows = math.ceil(len(keys) / columns)
    width, height = columns * panel_size[0], rows * panel_size[1]
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    for index, key in enumerate(keys):
        axes = figure.add_subplot(rows, columns, index + 1)
        for run in runs:
            points = key_points(run, key)
            if not points:
                warn(f'{run.label} did not log {key!r}.')
                continue
            steps, values = zip(*points)
            axes.plot(steps, values, label=run.label,
                      marker='o' if len(points) <= 30 else None,
                      markersize=3)
        phase = 'validation' if any(key in run.val for run in runs) \
            else 'training'
        axes.set_title(f'{key} ({phase})')
        axes.set_xlabel('iteration')
        axes.set_ylabel(key)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize='small')
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    directory = osp.dirname(osp.abspath(out))
    os.makedirs(directory, exist_ok=True)
    figure.savefig(out, dpi=dpi)
    return width, height


# ---------------------------------------------------------------- compare
def compare_rows(runs: Sequence[Run],
                 keys: Optional[Sequence[str]] = None) -> List[List[str]]:
    """Rows ``[metric, run, validations, final, best, best at]``.

    ``final`` is the value of the last validation, ``best`` the smallest
    (errors, losses, FAR) or largest (SSIM, PSNR, CSI, ...) value and
    ``best at`` its iteration. A training key (e.g. ``loss``) gives its
    logged points instead.
    """
    rows = []
    for key in keys or metric_keys(runs):
        pick = min if lower_is_better(key) else max
        for run in runs:
            points = key_points(run, key)
            if not points:
                rows.append([key, run.label, '0', '-', '-', '-'])
                continue
            best_step, best = pick(points, key=lambda p: (p[1], -p[0]))
            rows.append([key, run.label, str(len(points)),
                         f'{points[-1][1]:.4f}', f'{best:.4f}',
                         str(best_step)])
    return rows


# ------------------------------------------------------------------- time
def time_rows(runs: Sequence[Run]) -> List[List[str]]:
    """Rows ``[run, logged, last iter, mean, median, slowest, at, fastest,
    at, data_time mean]`` of the training iteration times (s)."""
    rows = []
    for run in runs:
        times = run.train.get('time', [])
        if not times:
            rows.append([run.label, '0'] + ['-'] * 8)
            continue
        values = [value for _, value in times]
        slow = max(times, key=lambda p: p[1])
        fast = min(times, key=lambda p: p[1])
        data = [value for _, value in run.train.get('data_time', [])]
        rows.append([
            run.label,
            str(len(times)),
            str(times[-1][0]),
            f'{statistics.fmean(values):.4f}',
            f'{statistics.median(values):.4f}',
            f'{slow[1]:.4f}',
            str(slow[0]),
            f'{fast[1]:.4f}',
            str(fast[0]),
            f'{statistics.fmean(data):.4f}' if data else '-',
        ])
    return rows


COMPARE_HEADER = ['metric', 'run', 'validations', 'final', 'best', 'best at']
TIME_HEADER = ['run', 'logged', 'last iter', 'mean (s)', 'median (s)',
               'slowest (s)', 'at iter', 'fastest (s)', 'at iter',
               'data_time mean (s)']


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot, compare and time training runs from their '
        'vis_data/scalars.json logs')
    commands = parser.add_subparsers(dest='command', required=True)

    def add_runs(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            'runs', nargs='+', metavar='RUN',
            help='work dir of a run, one of its <timestamp> folders, or a '
            'scalars.json file')
        sub.add_argument(
            '--legend', nargs='+',
            help='names of the runs (default: their folder names)')
        sub.add_argument(
            '--all-sessions', action='store_true',
            help='join every session of a work dir (resumed runs) instead '
            'of reading its newest session that trained')

    plot = commands.add_parser(
        'plot_curve', help='plot loss and metrics against the iteration')
    add_runs(plot)
    plot.add_argument(
        '--keys', nargs='+',
        help='logged keys to plot, one panel each (default: loss and every '
        'validation metric)')
    plot.add_argument('--out', default='curves.png', help='the PNG file')
    plot.add_argument('--title', help='title over the panels')
    plot.add_argument('--columns', type=int, default=2,
                      help='panels per row (default: 2)')
    plot.add_argument('--panel-size', type=int, nargs=2, default=(640, 400),
                      metavar=('WIDTH', 'HEIGHT'),
                      help='pixels of one panel (default: 640 400)')
    compare = commands.add_parser(
        'compare', help='final and best validation metrics of several runs')
    add_runs(compare)
    compare.add_argument(
        '--keys', nargs='+',
        help='metrics to compare (default: every validation metric)')
    timing = commands.add_parser(
        'time', help='time per training iteration of each run')
    add_runs(timing)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.legend and len(args.legend) != len(args.runs):
        print(f'analyze_logs.py: error: --legend names {len(args.legend)} '
              f'runs but {len(args.runs)} are given.', file=sys.stderr)
        return 2
    labels = args.legend or run_labels(args.runs)
    try:
        runs = [
            load_run(path, label, args.all_sessions)
            for path, label in zip(args.runs, labels)
        ]
        if args.command == 'plot_curve':
            keys = args.keys or ['loss'] + metric_keys(runs)
            width, height = plot_curves(
                runs, keys, args.out, tuple(args.panel_size), args.columns,
                title=args.title)
            print(f'wrote {args.out} ({width}x{height} pixels: '
                  f'{", ".join(keys)})')
        elif args.command == 'compare':
            print(format_table(COMPARE_HEADER,
                               compare_rows(runs, args.keys),
                               right_align=(2, 3, 4, 5)))
        else:
            print(format_table(TIME_HEADER, time_rows(runs),
                               right_align=range(1, 10)))
    except LogError as error:
        print(f'analyze_logs.py: error: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
