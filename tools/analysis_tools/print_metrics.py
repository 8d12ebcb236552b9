"""Print a test-metrics JSON (from ``tools/test.py --out``) as a table.

Each metric is shown next to its copy-the-last-observed-frame baseline
(keys ending in ``_copy_last``) when the test config computed it.

Example:
    python tools/analysis_tools/print_metrics.py work_dirs/run/test_metrics.json
"""
import argparse
import json
import sys
from typing import Dict, List

BASELINE_SUFFIX = '_copy_last'
LOWER_IS_BETTER = ('mse', 'mae')


def metric_rows(metrics: Dict[str, object]) -> List[List[str]]:
    """Rows ``[name, model, baseline, better?]`` of the scalar metrics."""
    rows = []
    for key, value in metrics.items():
        if key.endswith('_curve') or BASELINE_SUFFIX in key:
            continue
        if not isinstance(value, (int, float)):
            continue
        name = key.split('/')[-1]
        baseline = metrics.get(key + BASELINE_SUFFIX)
        if isinstance(baseline, (int, float)):
            lower = name.startswith(LOWER_IS_BETTER)
            better = value < baseline if lower else value > baseline
            rows.append([name, f'{value:.4f}', f'{baseline:.4f}',
                         'yes' if better else 'NO'])
        else:
            rows.append([name, f'{value:.4f}', '-', '-'])
    return rows


def format_table(rows: List[List[str]]) -> str:
    header = ['metric', 'model', 'copy last frame', 'model better']
    table = [header] + rows
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [' | '.join(cell.ljust(w) for cell, w in zip(row, widths))
             for row in table]
    lines.insert(1, '-+-'.join('-' * w for w in widths))
    return '\n'.join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('metrics_json', help='file written by test.py --out')
    args = parser.parse_args()
    with open(args.metrics_json) as file:
        metrics = json.load(file)
    print(format_table(metric_rows(metrics)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
