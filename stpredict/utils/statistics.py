"""Statistics for comparing methods over seeds and test sequences.

The benchmarks that compare two methods (transfer arms, single- vs
multi-scale necks) report, per method, the mean and standard deviation over
training seeds, and for a pair of methods a *paired bootstrap* interval of
the difference of their per-sequence errors: both methods forecast the same
test sequences, so the difference is computed sequence by sequence (and seed
by seed), and the interval is the percentile interval of the mean difference
over resamples of the test sequences.
"""
from typing import Dict, Sequence, Tuple

import numpy as np


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for one value).

    Args:
        values (Sequence[float]): One value per seed.

    Returns:
        tuple[float, float]: ``(mean, std)``.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        raise ValueError('mean_std needs at least one value.')
    std = float(array.std(ddof=1)) if array.size > 1 else 0.0
    return float(array.mean()), std


def paired_bootstrap(a: np.ndarray,
                     b: np.ndarray,
                     num_resamples: int = 10000,
                     confidence: float = 0.95,
                     seed: int = 0) -> Dict[str, float]:
    """Paired bootstrap interval of ``mean(a - b)`` over test sequences.

    ``a`` and ``b`` hold the per-sequence errors of two methods on the same
    test sequences, one row per seed (``[S, N]``, or ``[N]`` for one seed).
    Rows are paired: seed ``s`` of ``a`` with seed ``s`` of ``b``. Each
    resample draws ``N`` sequence indices with replacement (the same for
    every seed) and takes the mean of the differences over seeds and the
    drawn sequences; the interval is the percentile interval of those means.
    It measures how much the difference depends on which test sequences
    were drawn; the spread over seeds is reported separately
    (:func:`mean_std`).

    Args:
        a (np.ndarray): Per-sequence errors of the first method.
        b (np.ndarray): Per-sequence errors of the second method, same shape.
        num_resamples (int): Bootstrap resamples. Defaults to 10000.
        confidence (float): Coverage of the interval. Defaults to 0.95.
        seed (int): Seed of the resampling. Defaults to 0.

    Returns:
        dict[str, float]: ``mean`` (the observed mean difference), ``low``,
        ``high`` (the interval) and ``p_below_zero`` (share of resamples
        whose mean difference is below 0).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f'paired_bootstrap needs errors of the same sequences: shapes '
            f'{a.shape} and {b.shape} differ.')
    if a.ndim == 1:
        a, b = a[None], b[None]
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(
            'paired_bootstrap needs [seeds, sequences] arrays with at least '
            f'two sequences, got shape {a.shape}.')
    if not 0 < confidence < 1:
        raise ValueError(f'confidence must be in (0, 1), got {confidence}.')
    diff = (a - b).mean(axis=0)  # paired over seeds: [N]
    rng = np.random.default_rng(seed)
    count = diff.shape[0]
    means = np.empty(num_resamples)
    for start in range(0, num_resamples, 1000):
        stop = min(start + 1000, num_resamples)
        index = rng.integers(0, count, size=(stop - start, count))
        means[start:stop] = diff[index].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return dict(mean=float(diff.mean()), low=float(low), high=float(high),
                p_below_zero=float((means < 0).mean()))


__all__ = ['mean_std', 'paired_bootstrap']
