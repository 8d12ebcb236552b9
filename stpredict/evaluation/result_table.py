"""The short table of test results that ``tools/test.py`` prints."""
import math
from numbers import Real
from typing import Dict, List, Mapping, Optional, Sequence

from stpredict.utils.text_table import format_table

#: Leading names of the metrics where smaller is better.
LOWER_IS_BETTER = ('mse', 'mae', 'bmse', 'bmae', 'gdl', 'far', 'loss')


def lower_is_better(key: str) -> bool:
    """Whether smaller values of the metric ``key`` are better."""
    return key.split('/')[-1].startswith(LOWER_IS_BETTER)


def format_number(value: float, digits: int = 4) -> str:
    """``value`` with ``digits`` significant digits, never in e-notation.

    ``190.62 -> '190.6'``, ``0.72311 -> '0.7231'``, ``0.047 -> '0.04700'``,
    ``12345.6 -> '12346'``.

    Args:
        value (float): The number.
        digits (int): Significant digits. Defaults to 4.

    Returns:
        str: The text.
    """
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return '0'
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return f'{value:.{decimals}f}'


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def pick_lead_times(num_frames: int, count: int = 3) -> List[int]:
    """1-based lead times to show: the first, the last and evenly between.

    Args:
        num_frames (int): ``T_out``.
        count (int): How many at most. Defaults to 3.

    Returns:
        list[int]: Sorted distinct lead times, e.g. ``[1, 5, 10]`` for 10.
    """
    if num_frames <= count:
        return list(range(1, num_frames + 1))
    picks = {1, num_frames}
    for i in range(1, count - 1):
        picks.add(int(round(1 + i * (num_frames - 1) / (count - 1))))
    return sorted(picks)


def model_metric_keys(metrics: Mapping[str, object],
                      baselines: Sequence[str]) -> List[str]:
    """The model's scalar metrics, in order (no curves, baselines or
    per-sequence lists)."""
    suffixes = tuple(f'_{name}' for name in baselines)
    return [
        key for key, value in metrics.items()
        if _is_number(value) and not key.endswith(suffixes)
    ]


def format_result_table(metrics: Mapping[str, object],
                        baselines: Sequence[str] = (),
                        num_lead_times: int = 3,
                        lead_time_step: float = 1.0,
                        lead_time_unit: str = 'frame',
                        keys: Optional[Sequence[str]] = None) -> str:
    """Model and baselines side by side: mean and a few lead times.

    One block of rows per metric: the model's row, then one row per
    baseline that has the metric (``<key>_<baseline>``). Columns: the mean
    over lead times and the values at :func:`pick_lead_times` (from the
    ``_curve`` keys). ``*`` marks the best mean of each metric (smallest for
    errors and FAR, largest otherwise). Numbers keep 4 significant digits;
    the full curves are in ``tools/test.py --out``.

    Args:
        metrics (Mapping): The evaluator's results.
        baselines (Sequence[str]): Baseline names (key suffixes), in the
            order of the rows. Defaults to none.
        num_lead_times (int): Lead-time columns at most. Defaults to 3.
        lead_time_step (float): Lead time of one frame. Defaults to 1.
        lead_time_unit (str): Its unit (``'frame'``, ``'min'``). Defaults
            to ``'frame'``.
        keys (Sequence[str], optional): The metrics to show. Defaults to
            all the model's scalar metrics.

    Returns:
        str: The table.
    """
    keys = list(keys) if keys is not None else model_metric_keys(
        metrics, baselines)
    lengths = [
        len(metrics[f'{key}_curve']) for key in keys
        if isinstance(metrics.get(f'{key}_curve'), Sequence)
    ]
    leads = pick_lead_times(max(lengths), num_lead_times) if lengths else []
    unit = '' if lead_time_unit == 'frame' else f' {lead_time_unit}'
    header = ['metric', 'forecast', 'mean'] + [
        f'+{lead * lead_time_step:g}{unit}' for lead in leads
    ]
    rows = []
    for key in keys:
        forecasts = [('model', key)] + [
            (name, f'{key}_{name}') for name in baselines
            if _is_number(metrics.get(f'{key}_{name}'))
        ]
        means = [float(metrics[name]) for _, name in forecasts]
        best = (min if lower_is_better(key) else max)(means)
        for index, (label, name) in enumerate(forecasts):
            curve = metrics.get(f'{name}_curve')
            cells = [
                format_number(float(curve[lead - 1]))
                if isinstance(curve, Sequence) and len(curve) >= lead else
                '' for lead in leads
            ]
            mark = ' *' if means[index] == best and len(forecasts) > 1 \
                else ''
            rows.append([key if index == 0 else '', label,
                         format_number(means[index]) + mark] + cells)
    table = format_table(header, rows, right_align=range(2, len(header)))
    legend = (f'lead times in {"frames" if not unit else unit.strip()} '
              'ahead; * best mean of each metric')
    return f'{table}\n({legend})'


def result_table_baselines(metrics: Dict[str, object],
                           candidates: Sequence[str]) -> List[str]:
    """The candidates that have at least one value in ``metrics``."""
    return [
        name for name in candidates
        if any(key.endswith(f'_{name}') for key in metrics)
    ]


__all__ = [
    'format_result_table', 'format_number', 'pick_lead_times',
    'lower_is_better', 'model_metric_keys', 'result_table_baselines'
]
