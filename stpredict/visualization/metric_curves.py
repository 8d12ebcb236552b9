"""Plot the per-frame metric curves of an evaluation against lead time."""
import math
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

#: Suffix of the per-frame curve of a metric key (``mse_per_frame_curve``).
CURVE_SUFFIX = '_curve'
#: Suffix of the copy-last-frame baseline of a metric key.
BASELINE_SUFFIX = '_copy_last'
#: The baselines of ``tools/test.py`` (key suffix without ``_``): legend
#: label and line style.
BASELINE_LINES = OrderedDict([
    ('copy_last', ('copy last frame', '--')),
    ('zeros', ('zeros', ':')),
    ('train_mean', ('train mean', '-.')),
    ('optical_flow', ('optical flow', '--')),
])


def collect_curves(metrics: Mapping[str, object]
                   ) -> 'OrderedDict[str, Dict[str, List[float]]]':
    """Group the per-frame curves of evaluation results by metric.

    Every key ending in ``_curve`` whose value is a non-empty sequence of
    numbers is a curve (see
    :class:`~stpredict.evaluation.metrics.base_frame_metric.BaseFrameMetric`).
    ``<name>_copy_last_curve`` (and the other baselines of
    :data:`BASELINE_LINES`: ``_zeros``, ``_train_mean``, ``_optical_flow``)
    is a baseline of ``<name>`` and goes with it when ``<name>_curve``
    exists.

    Args:
        metrics (Mapping[str, object]): The evaluator's results.

    Returns:
        OrderedDict[str, dict[str, list[float]]]: For each metric name (in
        the order of the results), ``{'model': curve}`` and, when present,
        ``'copy_last': curve`` (and the other baselines by name).
    """
    curves: Dict[str, List[float]] = OrderedDict()
    for key, value in metrics.items():
        if not key.endswith(CURVE_SUFFIX) or isinstance(value, (str, bytes)):
            continue
        if not isinstance(value, Sequence) and not isinstance(
                value, np.ndarray):
            continue
        try:
            values = [float(v) for v in value]
        except (TypeError, ValueError):
            continue
        if values:
            curves[key[:-len(CURVE_SUFFIX)]] = values
    grouped: 'OrderedDict[str, Dict[str, List[float]]]' = OrderedDict()
    for name, values in curves.items():
        for baseline in BASELINE_LINES:
            base = name[:-len(baseline) - 1]
            if name.endswith(f'_{baseline}') and base in curves:
                grouped.setdefault(base, {})[baseline] = values
                break
        else:
            grouped.setdefault(name, {})['model'] = values
    return grouped


def curves_figure_size(num_curves: int,
                       columns: int = 3,
                       panel_size: Sequence[float] = (4.0, 3.0),
                       dpi: int = 100) -> tuple:
    """Pixel size ``(height, width)`` of :func:`plot_metric_curves`.

    Args:
        num_curves (int): Number of metrics plotted (one panel each).
        columns (int): Panels per row at most. Defaults to 3.
        panel_size (Sequence[float]): Width and height of one panel in
            inches. Defaults to (4, 3).
        dpi (int): Pixels per inch. Defaults to 100.

    Returns:
        tuple[int, int]: Height and width in pixels.
    """
    cols = max(1, min(columns, num_curves))
    rows = max(1, math.ceil(num_curves / cols))
    return (int(round(rows * panel_size[1] * dpi)),
            int(round(cols * panel_size[0] * dpi)))


def lead_time_label(lead_time_unit: str = 'frame') -> str:
    """The x-axis label of curves against lead time."""
    unit = 'frames' if lead_time_unit == 'frame' else lead_time_unit
    return f'lead time ({unit} ahead)'


def plot_metric_curves(curves: Mapping[str, Mapping[str, Sequence[float]]],
                       lead_time_step: float = 1.0,
                       lead_time_unit: str = 'frame',
                       title: Optional[str] = None,
                       columns: int = 3,
                       panel_size: Sequence[float] = (4.0, 3.0),
                       dpi: int = 100) -> np.ndarray:
    """Draw one panel per metric: its value at each lead time.

    Lead time ``t`` (1-based frame ``t`` of the forecast) is drawn at
    ``t * lead_time_step`` and labelled ``+t * lead_time_step`` (a tick at
    every lead time up to 12 frames, every k-th beyond); the x-axis says
    ``lead time (frames ahead)`` or, e.g., ``lead time (min ahead)``. The
    baselines, when present, are dashed or dotted lines in the same
    panel. Drawn with matplotlib's Agg canvas (no display, no pyplot
    state).

    Args:
        curves (Mapping): ``{name: {'model': [...], 'copy_last': [...]}}``
            from :func:`collect_curves`.
        lead_time_step (float): Lead time of one frame. Defaults to 1.
        lead_time_unit (str): Unit of the lead time (x-axis label), e.g.
            ``'frame'`` or ``'min'``. Defaults to ``'frame'``.
        title (str, optional): Title of the figure. Defaults to None.
        columns (int): Panels per row at most. Defaults to 3.
        panel_size (Sequence[float]): Inches per panel (width, height).
            Defaults to (4, 3).
        dpi (int): Pixels per inch. Defaults to 100.

    Returns:
        np.ndarray: uint8 RGB image of :func:`curves_figure_size`.
    """
    if not curves:
        raise ValueError('plot_metric_curves needs at least one curve.')
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height, width = curves_figure_size(len(curves), columns, panel_size, dpi)
    cols = max(1, min(columns, len(curves)))
    rows = math.ceil(len(curves) / cols)
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    for index, (name, lines) in enumerate(curves.items()):
        axes = figure.add_subplot(rows, cols, index + 1)
        styles = [('model', ('model', '-o'))] + list(BASELINE_LINES.items())
        for key, (label, style) in styles:
            values = lines.get(key)
            if values is None:
                continue
            lead = [(t + 1) * lead_time_step for t in range(len(values))]
            axes.plot(lead, values, style, markersize=3, label=label)
        axes.set_title(name, fontsize=10)
        axes.set_xlabel(lead_time_label(lead_time_unit), fontsize=8)
        frames = max(len(values) for values in lines.values())
        every = max(1, math.ceil(frames / 12))  # at most 12 ticks
        ticks = [(t + 1) * lead_time_step
                 for t in range(every - 1, frames, every)]
        axes.set_xticks(ticks)
        axes.set_xticklabels([f'+{tick:g}' for tick in ticks])
        axes.tick_params(labelsize=7)
        axes.grid(True, alpha=0.3)
        if len(lines) > 1:
            axes.legend(fontsize=7)
    if title:
        figure.suptitle(title, fontsize=11)
        figure.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (rows * panel_size[1])))
    else:
        figure.tight_layout()
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    return image
