"""Nowcasting skill scores from contingency tables: CSI, HSS, POD, FAR."""
import logging
import math
from numbers import Real
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import print_log

from stpredict.registry import METRICS
from ..functional import (CONTINGENCY_COUNTS, CONTINGENCY_SCORES,
                          PixelConverter, contingency_counts,
                          contingency_scores)
from .base_frame_metric import BaseFrameMetric


def _normalize_thresholds(
        thresholds: Union[Real, Sequence[Real]]) -> Tuple[float, ...]:
    """One threshold or several as a non-empty tuple of finite floats."""
    if isinstance(thresholds, Real) and not isinstance(thresholds, bool):
        thresholds = (thresholds, )
    try:
        values = tuple(thresholds)
    except TypeError:
        values = None
    if not values or any(
            isinstance(value, bool) or not isinstance(value, Real)
            or not math.isfinite(value) for value in values):
        raise ValueError(
            'thresholds must be one finite number or a non-empty sequence '
            'of them, in the physical unit of `value` (e.g. (20, 30, 40) '
            f"dBZ or (0.5, 2, 5, 10, 30) mm/h), got {thresholds!r}.")
    return tuple(float(value) for value in values)


@METRICS.register_module()
class ContingencyScores(BaseFrameMetric):
    """CSI, HSS, POD and FAR of the ``T_out`` predicted frames at several
    thresholds in physical units.

    **Events.** The frames (``[0, 1]``) are converted to the physical
    quantity ``value`` (reflectivity in dBZ or rain rate in mm/h) with the
    dataset's ``pixel_to_value`` spec (see
    :class:`~stpredict.evaluation.functional.PixelConverter`). A pixel is an
    event at threshold ``thr`` when its value is ``>= thr``; hits (H),
    misses (M), false alarms (F) and correct negatives (CN) are counted over
    the ``C * H * W`` pixels of each frame. Then CSI = H / (H + M + F),
    POD = H / (H + M), FAR = F / (H + F) and HSS = 2 (H CN - M F) /
    ((H + M)(M + CN) + (H + F)(F + CN)).

    **Aggregation.** As in the nowcasting benchmarks (the HKO-7 benchmark of
    Shi et al. 2017, MS-RNN), the counts are **summed over the whole test
    set for each lead time** and the scores are computed from those totals;
    per-sequence scores are never averaged (that would give the many dry
    sequences the same say as the few rainy ones). ``process`` stores the
    per-frame counts of each sequence in ``self.results`` (DDP-safe: mmengine
    gathers them from all ranks); ``compute_metrics`` sums them:

    - ``<score>_<thr><unit>_curve``: element ``t`` is the score of the counts
      of frame ``t`` summed over all sequences (list of ``T_out`` floats);
    - ``<score>_<thr><unit>``: the mean of the curve over the lead times (the
      "avg" of the HKO-7 benchmark).

    **Keys.** ``<score>`` is ``csi``, ``hss``, ``pod`` or ``far``; ``<thr>``
    is the threshold written with ``'g'`` formatting (``20``, ``0.5``);
    ``<unit>`` is ``dbz`` for ``value='dbz'`` and ``mm`` (mm/h) for
    ``value='rain_rate'``: e.g. ``csi_20dbz``, ``hss_0.5mm``,
    ``far_30mm_curve``. With ``baseline='copy_last'`` the forecast that
    repeats the last observed frame gets ``<key>_copy_last`` and
    ``<key>_copy_last_curve`` (the persistence baseline of nowcasting).

    **Edge cases.** A score whose denominator is zero (possible only when the
    totals of a lead time hold no event at a threshold) takes its value for a
    perfect forecast, since the kind of error it measures did not happen:
    CSI = 1 and HSS = 1 when ``M = F = 0`` (no event observed nor predicted),
    POD = 1 when no event is observed, FAR = 0 when no event is predicted.
    No NaN is ever reported. A warning is logged when a threshold has no
    observed event in the whole test set. A perfect forecast scores
    CSI = POD = HSS = 1 and FAR = 0.

    Example config (HKO-7 frames, ``dBZ = 70 p - 10``)::

        dict(type='ContingencyScores',
             thresholds=(0.5, 2, 5, 10, 30),
             pixel_to_value=dict(type='linear', scale=70.0, offset=-10.0,
                                 quantity='dbz'),
             value='rain_rate',
             zr_relation=dict(a=58.53, b=1.56))

    Use :class:`CSI`, :class:`HSS`, :class:`POD` or :class:`FAR` for one
    score alone.

    Args:
        thresholds (float | Sequence[float]): Event thresholds in the unit of
            ``value`` (dBZ or mm/h).
        pixel_to_value (dict): The dataset's mapping of frame values to a
            physical quantity, e.g. ``dict(type='linear', scale=70.0,
            offset=-10.0, quantity='dbz')``. Required.
        value (str): The quantity of the thresholds, ``'dbz'`` or
            ``'rain_rate'``. Defaults to ``'dbz'``.
        zr_relation (dict, optional): ``dict(a=..., b=...)`` of the Z-R
            relation ``Z = a R**b``, used to go between dBZ and mm/h.
            Defaults to None (Marshall-Palmer, ``a=200``, ``b=1.6``).
        scores (Sequence[str]): Scores to report, among ``'csi'``,
            ``'hss'``, ``'pod'``, ``'far'``. Defaults to all four.
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
    """

    def __init__(self,
                 thresholds: Union[float, Sequence[float]],
                 pixel_to_value: Optional[Dict[str, Any]] = None,
                 value: str = 'dbz',
                 zr_relation: Optional[Dict[str, float]] = None,
                 scores: Sequence[str] = tuple(CONTINGENCY_SCORES),
                 baseline: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            baseline=baseline,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        name = type(self).__name__
        if pixel_to_value is None:
            raise ValueError(
                f'{name} takes its thresholds in physical units, so it needs '
                "the dataset's pixel_to_value conversion, "
                f'{PixelConverter.SPEC_HELP}.')
        self.converter = PixelConverter(pixel_to_value, value, zr_relation)
        self.thresholds = _normalize_thresholds(thresholds)
        self.threshold_labels = tuple(
            f'{threshold:g}{self.converter.key_suffix}'
            for threshold in self.thresholds)
        if len(set(self.threshold_labels)) != len(self.threshold_labels):
            raise ValueError(
                f'{name}: thresholds must be distinct (as written in the '
                f'keys), got {self.thresholds} -> {self.threshold_labels}.')
        scores = (scores, ) if isinstance(scores, str) else tuple(scores)
        unknown = [
            score for score in scores if score not in CONTINGENCY_SCORES
        ]
        if not scores or unknown:
            raise ValueError(f'{name}: scores must be a non-empty sequence of '
                             f'{tuple(CONTINGENCY_SCORES)}, got {scores!r}.')
        self.scores = tuple(dict.fromkeys(scores))

    @staticmethod
    def _count_name(label: str, count: str) -> str:
        """The name under which one count of one threshold is stored."""
        return f'{label}_{count}'

    def frame_values(self, pred: torch.Tensor,
                     gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The contingency counts of every frame, for each threshold."""
        counts = contingency_counts(
            self.converter(pred), self.converter(gt), self.thresholds)
        return {
            self._count_name(label, count): counts[:, k, j]
            for k, label in enumerate(self.threshold_labels)
            for j, count in enumerate(CONTINGENCY_COUNTS)
        }

    def _summed_counts(self, results: List[dict], label: str,
                       variant: str) -> np.ndarray:
        """``[T_out, 4]`` counts of one threshold summed over sequences."""
        names = [
            self._count_name(label, count) + variant
            for count in CONTINGENCY_COUNTS
        ]
        totals = [
            np.sum([result['values'][name] for result in results], axis=0)
            for name in names
        ]
        return np.stack(totals, axis=-1)

    def compute_metrics(self, results: List[dict]) -> Dict[str, Any]:
        """Sum the counts over sequences, then score each lead time.

        Args:
            results (list[dict]): One entry per sequence, from all ranks,
                holding the ``[T_out]`` counts of each threshold.

        Returns:
            dict: ``<score>_<thr><unit>`` (mean over lead times of the scores
            of the summed counts) and ``<score>_<thr><unit>_curve`` (one
            score per lead time), plus the ``_copy_last`` keys with a
            baseline.
        """
        name = type(self).__name__
        if not results:
            raise ValueError(
                f'{name} has no processed sequences to score; check that '
                'the dataloader is not empty.')
        lengths = {}
        for result in results:
            length = len(next(iter(result['values'].values())))
            lengths.setdefault(length, result['sample_idx'])
        if len(lengths) > 1:
            found = ', '.join(f'T_out={length} (e.g. sample {idx})'
                              for length, idx in sorted(lengths.items()))
            raise ValueError(
                f'{name} sums the counts of each lead time over sequences, '
                'so every sequence of one evaluation must predict the same '
                f'number of frames, but found {found}. Evaluate each output '
                'length separately.')

        variants = [''] + (['_copy_last'] if self.baseline else [])
        metrics: Dict[str, Any] = {}
        for variant in variants:
            per_score: Dict[str, Dict[str, np.ndarray]] = {
                score: {}
                for score in self.scores
            }
            for label in self.threshold_labels:
                totals = self._summed_counts(results, label, variant)
                if not variant and totals[:, :2].sum() == 0:
                    print_log(
                        f'{name}: no pixel of the {len(results)} true '
                        f'sequences reaches the threshold {label}: POD is 1 '
                        'by convention there, CSI and HSS are 1 only where '
                        'no event is predicted either (else 0).',
                        logger='current',
                        level=logging.WARNING)
                for score, curve in contingency_scores(
                        torch.from_numpy(totals), self.scores).items():
                    per_score[score][label] = curve.numpy()
            for score in self.scores:
                for label, curve in per_score[score].items():
                    key = f'{score}_{label}{variant}'
                    metrics[key] = float(curve.mean())
                    metrics[f'{key}_curve'] = [float(v) for v in curve]
        return metrics


class _SingleContingencyScore(ContingencyScores):
    """A :class:`ContingencyScores` that reports one score (``SCORE``)."""

    SCORE = ''

    def __init__(self,
                 thresholds: Union[float, Sequence[float]],
                 pixel_to_value: Optional[Dict[str, Any]] = None,
                 value: str = 'dbz',
                 zr_relation: Optional[Dict[str, float]] = None,
                 baseline: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            thresholds=thresholds,
            pixel_to_value=pixel_to_value,
            value=value,
            zr_relation=zr_relation,
            scores=(self.SCORE, ),
            baseline=baseline,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)


_SINGLE_SCORE_ARGS = """
    Args:
        thresholds (float | Sequence[float]): Event thresholds in the unit of
            ``value`` (dBZ or mm/h).
        pixel_to_value (dict): The dataset's mapping of frame values to a
            physical quantity, e.g. ``dict(type='linear', scale=70.0,
            offset=-10.0, quantity='dbz')``. Required.
        value (str): ``'dbz'`` or ``'rain_rate'``. Defaults to ``'dbz'``.
        zr_relation (dict, optional): ``dict(a=..., b=...)`` of
            ``Z = a R**b``. Defaults to None (Marshall-Palmer).
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
"""


@METRICS.register_module()
class CSI(_SingleContingencyScore):
    __doc__ = """Critical success index ``H / (H + M + F)`` at thresholds in
    physical units.

    Reports ``csi_<thr><unit>`` and ``csi_<thr><unit>_curve`` (e.g.
    ``csi_20dbz``, ``csi_0.5mm``); 1 when no event is observed nor predicted.
    Counts are summed over the test set per lead time, see
    :class:`ContingencyScores` for the conventions.
""" + _SINGLE_SCORE_ARGS
    SCORE = 'csi'


@METRICS.register_module()
class HSS(_SingleContingencyScore):
    __doc__ = """Heidke skill score at thresholds in physical units.

    ``HSS = 2 (H CN - M F) / ((H + M)(M + CN) + (H + F)(F + CN))``, reported
    as ``hss_<thr><unit>`` and ``hss_<thr><unit>_curve``; 1 when the
    denominator is zero (then ``M = F = 0``). See :class:`ContingencyScores`.
""" + _SINGLE_SCORE_ARGS
    SCORE = 'hss'


@METRICS.register_module()
class POD(_SingleContingencyScore):
    __doc__ = """Probability of detection ``H / (H + M)`` at thresholds in
    physical units.

    Reported as ``pod_<thr><unit>`` and ``pod_<thr><unit>_curve``; 1 when no
    event is observed. See :class:`ContingencyScores`.
""" + _SINGLE_SCORE_ARGS
    SCORE = 'pod'


@METRICS.register_module()
class FAR(_SingleContingencyScore):
    __doc__ = """False alarm ratio ``F / (H + F)`` at thresholds in physical
    units (lower is better).

    Reported as ``far_<thr><unit>`` and ``far_<thr><unit>_curve``; 0 when no
    event is predicted. See :class:`ContingencyScores`.
""" + _SINGLE_SCORE_ARGS
    SCORE = 'far'
