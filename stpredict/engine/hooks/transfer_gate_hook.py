"""Report the average transfer gate per source and layer (TMU Table 5)."""
from collections import defaultdict
from typing import Dict, Optional

from mmengine.hooks import Hook

from stpredict.registry import HOOKS

GATE_PREFIX = 'gate_l'


def gate_table(means: Dict[str, float]) -> str:
    """Format ``{'gate_l<layer>_<source>': value}`` as a table."""
    rows = defaultdict(dict)
    sources = []
    for key, value in means.items():
        layer, source = key[len(GATE_PREFIX):].split('_', 1)
        rows[int(layer)][source] = value
        if source not in sources:
            sources.append(source)
    lines = ['layer | ' + ' | '.join(sources)]
    for layer in sorted(rows):
        lines.append(f'{layer:5d} | ' + ' | '.join(
            f'{rows[layer].get(s, float("nan")):.4f}' for s in sources))
    return '\n'.join(lines)


@HOOKS.register_module()
class TransferGateHook(Hook):
    """Average the logged transfer gates over an interval and report them.

    :class:`MemoryTransfer` logs the mean transfer gate ``a^m`` of every TMU
    layer and source at each training iteration (``gate_l<layer>_<source>``).
    This hook averages them over ``interval`` iterations (and over the whole
    run) and writes a table to the log: how much each source contributes to
    each layer of the target, as in TMU Table 5.

    Args:
        interval (int): Iterations between reports. Defaults to 1000.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 1000) -> None:
        self.interval = interval
        self._window: Dict[str, list] = defaultdict(list)
        self._total: Dict[str, list] = defaultdict(list)

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        for key, value in (outputs or {}).items():
            if key.startswith(GATE_PREFIX):
                value = float(value)
                self._window[key].append(value)
                self._total[key].append(value)
        if self.every_n_train_iters(runner, self.interval) and self._window:
            count = len(next(iter(self._window.values())))
            self._report(
                runner, self._window,
                f'transfer gates of the last {count} iterations '
                f'(to iteration {runner.iter + 1})')
            self._window = defaultdict(list)

    def after_train(self, runner) -> None:
        if self._total:
            self._report(runner, self._total, 'transfer gates, whole run')

    @staticmethod
    def _report(runner, values: Dict[str, list], title: str) -> None:
        means = {k: sum(v) / len(v) for k, v in values.items() if v}
        runner.logger.info(f'{title} (mean a^m per TMU layer and source):\n'
                           + gate_table(means))
