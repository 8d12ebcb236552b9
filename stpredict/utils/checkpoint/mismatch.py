"""Which weights of a state dict do not fit a model, in one line of text."""
import fnmatch
from typing import Any, Dict, List, Sequence

import torch


def weights_mismatch(model: torch.nn.Module,
                     state_dict: Dict[str, Any],
                     allow_missing: Sequence[str] = (),
                     allow_unexpected: Sequence[str] = (),
                     allow_mismatched: Sequence[str] = ()
                     ) -> Dict[str, List[str]]:
    """Missing, unexpected and mis-shaped weights of a state dict.

    Keys that match a pattern (``fnmatch``, e.g. ``'head.*'``) of the
    corresponding ``allow_*`` list are not reported.

    Args:
        model (nn.Module): The model the weights are for.
        state_dict (dict): The weights (without DDP's ``module.`` prefix).
        allow_missing (Sequence[str]): Model keys the file may lack.
        allow_unexpected (Sequence[str]): File keys the model may lack.
        allow_mismatched (Sequence[str]): Keys whose shapes may differ.

    Returns:
        dict: ``missing``, ``unexpected`` and ``mismatched`` key lists
        (``mismatched`` entries read ``'key: checkpoint (..) vs model (..)'``).
    """

    def allowed(key: str, patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)

    own = model.state_dict()
    missing = [
        key for key in own
        if key not in state_dict and not allowed(key, allow_missing)
    ]
    unexpected = [
        key for key in state_dict
        if key not in own and not allowed(key, allow_unexpected)
    ]
    mismatched = []
    for key, value in own.items():
        other = state_dict.get(key)
        if isinstance(other, torch.Tensor) and isinstance(
                value, torch.Tensor) and other.shape != value.shape and \
                not allowed(key, allow_mismatched):
            mismatched.append(f'{key}: checkpoint {tuple(other.shape)} vs '
                              f'model {tuple(value.shape)}')
    return dict(missing=missing, unexpected=unexpected, mismatched=mismatched)


def describe_mismatch(problems: Dict[str, List[str]], limit: int = 8) -> str:
    """``problems`` of :func:`weights_mismatch` as one line of text.

    Args:
        problems (dict): The key lists.
        limit (int): At most this many keys per list. Defaults to 8.

    Returns:
        str: e.g. ``"2 missing: ['a', 'b']; 1 of another shape: [...]"``.
    """
    parts = []
    for name, label in (('missing', 'missing'), ('unexpected', 'unexpected'),
                        ('mismatched', 'of another shape')):
        keys = problems.get(name) or []
        if keys:
            more = f' (+{len(keys) - limit} more)' if len(keys) > limit \
                else ''
            parts.append(f'{len(keys)} {label}: {keys[:limit]}{more}')
    return '; '.join(parts)
