"""Print test-metric files (``tools/test.py --out``) as a table.

With one file, each metric is shown next to its naive baselines when the
test scored them (keys ending in ``_copy_last``, ``_zeros``,
``_train_mean``, ``_optical_flow``; see ``tools/test.py --baselines``). With several files, one column per file and a last column
naming the best file of each metric (smallest for errors, losses and FAR,
largest otherwise); the baseline rows are listed as metrics of their own.

Examples:
    python tools/analysis_tools/print_metrics.py work_dirs/run1/test.json
    python tools/analysis_tools/print_metrics.py work_dirs/run1/test.json work_dirs/run2/test.json
"""  # noqa: E501
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from stpredict.utils.text_table import format_table  # noqa: E402

#: The baselines of tools/test.py: key suffix -> column name.
BASELINES = {
    '_copy_last': 'copy last frame',
    '_zeros': 'zeros',
    '_train_mean': 'train mean',
    '_optical_flow': 'optical flow',
}
LOWER_IS_BETTER = ('mse', 'mae', 'bmse', 'bmae', 'gdl', 'far', 'loss')


class ResultFileError(ValueError):
    """A file is not a metrics JSON of ``tools/test.py --out``."""


def lower_is_better(name: str) -> bool:
    """Whether smaller values of the metric ``name`` are better."""
    return name.split('/')[-1].startswith(LOWER_IS_BETTER)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_metrics(path: str) -> Dict[str, object]:
    """Read one metrics file of ``tools/test.py --out``.

    A file whose metrics sit under a ``metrics`` key (with other keys
    describing the run) is read from there.

    Args:
        path (str): The JSON file.

    Returns:
        dict: The metrics.

    Raises:
        ResultFileError: If the file is missing, is a JSON-lines log (such
            as ``vis_data/scalars.json``), is not valid JSON, or holds no
            metrics.
    """
    fix = ('write one with python tools/test.py CONFIG CHECKPOINT --out '
           'FILE.json')
    if not osp.isfile(path):
        raise ResultFileError(f'{path} does not exist: {fix}.')
    with open(path, encoding='utf-8') as file:
        text = file.read()
    try:
        metrics = json.loads(text)
    except json.JSONDecodeError as error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and _all_json_objects(lines):
            raise _log_error(path, len(lines), fix) from None
        raise ResultFileError(
            f'{path} is not valid JSON ({error.msg} at line {error.lineno} '
            f'column {error.colno}): the file is damaged or of another '
            f'kind; {fix}.') from None
    if isinstance(metrics, dict) and 'step' in metrics:
        raise _log_error(path, 1, fix)  # a log of one record
    if isinstance(metrics, dict) and isinstance(metrics.get('metrics'),
                                                dict):
        metrics = metrics['metrics']
    if not isinstance(metrics, dict) or not any(
            _is_number(value) for value in metrics.values()):
        raise ResultFileError(
            f'{path} holds no metrics (a JSON object of metric names and '
            f'numbers is expected, got {_describe(metrics)}); {fix}.')
    return metrics


def _log_error(path: str, records: int, fix: str) -> ResultFileError:
    return ResultFileError(
        f'{path} is a JSON-lines log ({records} record(s), one per line, '
        "like a training run's vis_data/scalars.json), not a metrics file "
        'of tools/test.py --out. For the validation metrics of training '
        'runs use python tools/analysis_tools/analyze_logs.py compare '
        f'WORK_DIR [WORK_DIR ...]; for test metrics, {fix}.')


def _all_json_objects(lines: Sequence[str]) -> bool:
    for line in lines:
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except json.JSONDecodeError:
            return False
    return True


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return f'an object without numbers: keys {sorted(value)[:5]}'
    return f'a JSON {type(value).__name__}'


def scalar_metrics(metrics: Dict[str, object],
                   baselines: bool = False) -> Dict[str, float]:
    """The scalar metrics (no curves), with or without baseline keys."""
    return {
        key: float(value)
        for key, value in metrics.items()
        if _is_number(value) and not key.endswith('_curve') and (
            baselines or not key.endswith(tuple(BASELINES)))
    }


def present_baselines(metrics: Dict[str, object]) -> List[str]:
    """The suffixes of :data:`BASELINES` that ``metrics`` has values for."""
    return [
        suffix for suffix in BASELINES
        if any(key.endswith(suffix) and _is_number(value)
               for key, value in metrics.items())
    ]


def metric_rows(metrics: Dict[str, object]) -> List[List[str]]:
    """Rows ``[name, model, baseline ..., better?]`` of the scalar metrics.

    ``better?`` is ``yes`` when the model beats every baseline of the row,
    else ``NO`` (naming the baselines that beat it when there are several).
    """
    suffixes = present_baselines(metrics) or ['_copy_last']
    rows = []
    for key, value in scalar_metrics(metrics).items():
        name = key.split('/')[-1]
        lower = lower_is_better(name)
        cells, losses, compared = [], [], 0
        for suffix in suffixes:
            baseline = metrics.get(key + suffix)
            if not _is_number(baseline):
                cells.append('-')
                continue
            compared += 1
            cells.append(f'{baseline:.4f}')
            if not (value < baseline if lower else value > baseline):
                losses.append(BASELINES[suffix])
        if not compared:
            verdict = '-'
        elif not losses:
            verdict = 'yes'
        elif len(suffixes) == 1:
            verdict = 'NO'
        else:
            verdict = f'NO ({", ".join(losses)})'
        rows.append([name, f'{value:.4f}'] + cells + [verdict])
    return rows


def comparison_rows(results: Dict[str, Dict[str, object]]) -> List[List[str]]:
    """Rows ``[metric, value per file ..., best file]`` of several files.

    Args:
        results (dict): ``{label: metrics}`` of each file.

    Returns:
        list[list[str]]: One row per metric of any file (``-`` where a file
        lacks it).
    """
    tables = {label: scalar_metrics(metrics, baselines=True)
              for label, metrics in results.items()}
    keys: List[str] = []
    for table in tables.values():
        keys += [key for key in table if key not in keys]
    rows = []
    for key in keys:
        values = {label: table[key] for label, table in tables.items()
                  if key in table}
        pick = min if lower_is_better(key) else max
        best = pick(values, key=values.get)
        tie = list(values.values()).count(values[best]) > 1
        rows.append([key] + [
            f'{tables[label][key]:.4f}' if key in tables[label] else '-'
            for label in results
        ] + ['-' if len(values) < 2 else '(tie)' if tie else best])
    return rows


def file_labels(paths: Sequence[str]) -> List[str]:
    """Short distinct names of files: their names, else longer paths."""
    for depth in range(1, 64):
        labels = ['/'.join(osp.abspath(path).split(osp.sep)[-depth:])
                  for path in paths]
        if len(set(labels)) == len(labels):
            return labels
    return list(paths)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('metrics_json', nargs='+',
                        help='file(s) written by tools/test.py --out')
    parser.add_argument('--labels', nargs='+',
                        help='column names of the files (default: their '
                        'shortest distinct paths)')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.metrics_json):
        parser.error(f'--labels names {len(args.labels)} files but '
                     f'{len(args.metrics_json)} are given')
    try:
        results = [load_metrics(path) for path in args.metrics_json]
    except ResultFileError as error:
        print(f'print_metrics.py: error: {error}', file=sys.stderr)
        return 1
    if len(results) == 1:
        suffixes = present_baselines(results[0]) or ['_copy_last']
        header = ['metric', 'model'] + [
            BASELINES[suffix] for suffix in suffixes
        ] + ['model better']
        print(format_table(header, metric_rows(results[0]),
                           right_align=range(1, len(header) - 1)))
        return 0
    labels = args.labels or file_labels(args.metrics_json)
    if len(set(labels)) != len(labels):
        parser.error(f'the labels must differ, got {labels}')
    print(format_table(['metric'] + labels + ['best'],
                       comparison_rows(dict(zip(labels, results))),
                       right_align=range(1, len(labels) + 1)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
