"""Stop training as soon as the loss stops being a finite number."""
import math
import os.path as osp
from typing import Any, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from stpredict.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training with a clear message when the loss is NaN or infinite.

    The check runs right after the iteration's optimiser step and before the
    checkpoint hook, so the weights poisoned by that step are never saved:
    the last checkpoint on disk stays the last good one, and the message
    names it. Without this hook a NaN loss goes on for the rest of the run
    and overwrites the good checkpoints with NaN weights.

    Args:
        check_interval (int): Check every this many iterations. Each check
            reads the loss back from the device (a synchronisation on GPUs).
            Defaults to 1.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, check_interval: int = 1) -> None:
        if check_interval < 1:
            raise ValueError(
                f'check_interval must be >= 1, got {check_interval}.')
        self.check_interval = check_interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Raise :class:`NonFiniteLossError` on a NaN or infinite loss.

        Args:
            runner (Runner): The runner.
            batch_idx (int): The batch index.
            data_batch (Any): The batch.
            outputs (dict, optional): The logged losses of the iteration.
        """
        if not outputs or not self.every_n_train_iters(
                runner, self.check_interval):
            return
        bad = {}
        for name, value in outputs.items():
            number = _as_float(value)
            if number is not None and not math.isfinite(number):
                bad[name] = number
        # every rank stops together, or the others would wait for ever
        flag = torch.tensor([1.0 if bad else 0.0])
        if get_world_size() > 1:
            all_reduce(flag, op='sum')
        if flag.item() == 0:
            return
        if not bad:
            raise NonFiniteLossError(
                f'The training loss is not finite at iteration '
                f'{runner.iter + 1} on another rank, so training stopped.')
        iteration = runner.iter + 1
        values = ', '.join(f'{name}={value}' for name, value in bad.items())
        last = runner.message_hub.get_info('last_ckpt')
        if last and osp.isfile(last):
            kept = (f'The last good checkpoint is {last}; the weights of this '
                    'iteration were not saved.')
        else:
            kept = 'No checkpoint was saved before it.'
        raise NonFiniteLossError(
            f'The training loss is not finite at iteration {iteration} '
            f'({values}), so training stopped. {kept} Usual causes: a '
            'learning rate too high for this model (lower '
            'optim_wrapper.optimizer.lr), exploding gradients (set '
            'optim_wrapper.clip_grad=dict(max_norm=...)), float16 overflow '
            'with --amp, or NaN/inf values in the data. Resuming from the '
            'checkpoint without changing any of these will fail again at '
            'the same iteration.')


def _as_float(value: Any) -> Optional[float]:
    """A logged loss as a Python float, or None when it is not a number."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None
        return float(value.detach().float().item())
    if isinstance(value, (int, float)):
        return float(value)
    return None
