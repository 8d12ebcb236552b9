"""Contingency tables of thresholded frames and the scores built on them.

A pixel is an **event** at threshold ``thr`` when its value is ``>= thr``. For
each frame and threshold, the predicted and true event maps give four counts
over the ``C * H * W`` pixels:

=================  ================  =================
                   true event        true non-event
=================  ================  =================
predicted event    hits (H)          false alarms (F)
predicted non-ev.  misses (M)        correct neg. (CN)
=================  ================  =================

and the scores

- CSI (critical success index, threat score) ``= H / (H + M + F)``;
- POD (probability of detection) ``= H / (H + M)``;
- FAR (false alarm ratio) ``= F / (H + F)``;
- HSS (Heidke skill score) ``= 2 (H CN - M F) / ((H + M)(M + CN) +
  (H + F)(F + CN))``.

**Zero denominators.** A score's denominator is zero only when the kind of
error that the score measures cannot have happened: CSI and HSS when
``M = F = 0`` (every pixel agrees, and all fall in one class), POD when there
is no true event (``H + M = 0``, so nothing was missed), FAR when no event is
predicted (``H + F = 0``, so there is no false alarm). The score then takes its
value for a perfect forecast: CSI = POD = HSS = 1 and FAR = 0. No NaN is
returned, so the scores can always be averaged.
"""
from typing import Callable, Dict, Sequence, Tuple

import torch

from .validation import check_frame_pair

#: The order of the counts on the last dimension of a contingency table.
CONTINGENCY_COUNTS = ('hits', 'misses', 'false_alarms', 'correct_negatives')


def contingency_counts(pred: torch.Tensor, gt: torch.Tensor,
                       thresholds: Sequence[float]) -> torch.Tensor:
    """Hits, misses, false alarms and correct negatives of every frame.

    Args:
        pred (torch.Tensor): Predicted values ``[..., C, H, W]`` (in the units
            of the thresholds).
        gt (torch.Tensor): True values, same shape as ``pred``.
        thresholds (Sequence[float]): ``K`` thresholds; a pixel is an event
            when its value is ``>=`` the threshold.

    Returns:
        torch.Tensor: int64 counts ``[..., K, 4]`` summed over the
        ``C * H * W`` pixels of each frame, in the order of
        :data:`CONTINGENCY_COUNTS` (hits, misses, false alarms, correct
        negatives). The four counts of a frame add up to ``C * H * W``.
    """
    check_frame_pair(pred, gt)
    thresholds = [float(threshold) for threshold in thresholds]
    if not thresholds:
        raise ValueError('contingency_counts needs at least one threshold.')
    num_pixels = pred.shape[-3] * pred.shape[-2] * pred.shape[-1]
    dims = (-3, -2, -1)
    tables = []
    for threshold in thresholds:
        pred_event = pred >= threshold
        gt_event = gt >= threshold
        hits = (pred_event & gt_event).sum(dim=dims)
        misses = gt_event.sum(dim=dims) - hits
        false_alarms = pred_event.sum(dim=dims) - hits
        correct_negatives = num_pixels - hits - misses - false_alarms
        tables.append(
            torch.stack([hits, misses, false_alarms, correct_negatives],
                        dim=-1))
    return torch.stack(tables, dim=-2)


def _unpack(counts: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    if counts.shape[-1:] != (4, ):
        raise ValueError(
            'counts must end with the 4 counts (hits, misses, false_alarms, '
            f'correct_negatives), got shape {tuple(counts.shape)}.')
    return counts.to(torch.float64).unbind(dim=-1)


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor,
           if_empty: float) -> torch.Tensor:
    """``numerator / denominator``, ``if_empty`` where the denominator is 0."""
    defined = denominator != 0
    safe = torch.where(defined, denominator, torch.ones_like(denominator))
    return torch.where(defined, numerator / safe,
                       torch.full_like(numerator, if_empty))


def csi_from_counts(counts: torch.Tensor) -> torch.Tensor:
    """Critical success index ``H / (H + M + F)``; 1 when ``H + M + F = 0``.

    Args:
        counts (torch.Tensor): Contingency counts ``[..., 4]`` (see
            :func:`contingency_counts`).

    Returns:
        torch.Tensor: float64 scores ``[...]`` in ``[0, 1]``.
    """
    hits, misses, false_alarms, _ = _unpack(counts)
    return _ratio(hits, hits + misses + false_alarms, 1.0)


def pod_from_counts(counts: torch.Tensor) -> torch.Tensor:
    """Probability of detection ``H / (H + M)``; 1 when ``H + M = 0``.

    Args:
        counts (torch.Tensor): Contingency counts ``[..., 4]``.

    Returns:
        torch.Tensor: float64 scores ``[...]`` in ``[0, 1]``.
    """
    hits, misses, _, _ = _unpack(counts)
    return _ratio(hits, hits + misses, 1.0)


def far_from_counts(counts: torch.Tensor) -> torch.Tensor:
    """False alarm ratio ``F / (H + F)``; 0 when ``H + F = 0``.

    Args:
        counts (torch.Tensor): Contingency counts ``[..., 4]``.

    Returns:
        torch.Tensor: float64 ratios ``[...]`` in ``[0, 1]`` (lower is
        better).
    """
    hits, _, false_alarms, _ = _unpack(counts)
    return _ratio(false_alarms, hits + false_alarms, 0.0)


def hss_from_counts(counts: torch.Tensor) -> torch.Tensor:
    """Heidke skill score; 1 when its denominator is 0 (then ``M = F = 0``).

    ``HSS = 2 (H CN - M F) / ((H + M)(M + CN) + (H + F)(F + CN))``: 1 for a
    perfect forecast, 0 for a random one, negative when worse than random.
    Computed in float64, so the products do not overflow on large test sets.

    Args:
        counts (torch.Tensor): Contingency counts ``[..., 4]``.

    Returns:
        torch.Tensor: float64 scores ``[...]``, at most 1.
    """
    hits, misses, false_alarms, correct_negatives = _unpack(counts)
    numerator = 2.0 * (hits * correct_negatives - misses * false_alarms)
    denominator = ((hits + misses) * (misses + correct_negatives) +
                   (hits + false_alarms) * (false_alarms + correct_negatives))
    return _ratio(numerator, denominator, 1.0)


#: The scores computed from contingency counts, by name.
CONTINGENCY_SCORES: Dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    'csi': csi_from_counts,
    'hss': hss_from_counts,
    'pod': pod_from_counts,
    'far': far_from_counts,
}


def contingency_scores(
    counts: torch.Tensor, scores: Sequence[str] = tuple(CONTINGENCY_SCORES)
) -> Dict[str, torch.Tensor]:
    """Several scores of the same contingency counts.

    Args:
        counts (torch.Tensor): Contingency counts ``[..., 4]``.
        scores (Sequence[str]): Names among ``'csi'``, ``'hss'``, ``'pod'``,
            ``'far'``. Defaults to all four.

    Returns:
        dict[str, torch.Tensor]: float64 scores ``[...]`` by name.
    """
    unknown = [name for name in scores if name not in CONTINGENCY_SCORES]
    if unknown:
        raise ValueError(f'Unknown contingency scores {unknown}; choose among '
                         f'{tuple(CONTINGENCY_SCORES)}.')
    return {name: CONTINGENCY_SCORES[name](counts) for name in scores}
