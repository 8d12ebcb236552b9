"""Stop training as soon as it stops being a finite, converging run."""
import math
import os.path as osp
import statistics
from collections import deque
from typing import Any, Dict, Iterable, List, Optional, Tuple

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from stpredict.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """The training loss, the weights or the optimiser state became NaN or
    infinite."""


class DivergenceError(NonFiniteLossError):
    """The training loss stayed far above its recent level: the run
    diverged (a subclass, so ``except NonFiniteLossError`` catches both)."""


#: What usually makes a run blow up, and the settings that fix it.
_CAUSES = ('Usual causes: a learning rate too high for this model (lower '
           'optim_wrapper.optimizer.lr), exploding gradients (set '
           'optim_wrapper.clip_grad=dict(max_norm=...)), float16 overflow '
           'with --amp, or NaN/inf values in the data. Resuming from the '
           'checkpoint without changing any of these will fail again at '
           'the same iteration.')


def non_finite_tensors(named: Iterable[Tuple[str, Any]]) -> List[str]:
    """Names of the floating-point tensors that hold a NaN or an inf.

    One device synchronisation for all of them (a stacked check), then the
    names only when something is wrong.

    Args:
        named (Iterable[tuple[str, Any]]): ``(name, value)`` pairs; values
            that are not floating-point tensors are ignored.

    Returns:
        list[str]: The names, in order.
    """
    tensors = [(name, value) for name, value in named
               if isinstance(value, torch.Tensor) and (
                   value.is_floating_point() or value.is_complex())
               and value.numel() > 0]
    if not tensors:
        return []
    by_device: Dict[Any, List[int]] = {}
    for index, (_, value) in enumerate(tensors):
        by_device.setdefault(value.device, []).append(index)
    finite = [True] * len(tensors)
    for indices in by_device.values():
        flags = torch.stack([
            torch.isfinite(tensors[index][1].detach()).all()
            for index in indices
        ]).cpu()
        for index, ok in zip(indices, flags.tolist()):
            finite[index] = ok
    return [name for (name, _), ok in zip(tensors, finite) if not ok]


def optimizer_state_tensors(optim_wrapper: Any,
                            names: Optional[Dict[int, str]] = None
                            ) -> List[Tuple[str, Any]]:
    """``(name, tensor)`` of an optimiser wrapper's state (Adam moments...).

    Args:
        optim_wrapper (Any): An mmengine ``OptimWrapper`` or
            ``OptimWrapperDict`` (or a torch optimizer).
        names (dict[int, str], optional): Parameter names by ``id``.

    Returns:
        list[tuple[str, Any]]: e.g. ``('exp_avg of neck.cells.0.weight',
        tensor)``.
    """
    wrappers = getattr(optim_wrapper, 'optim_wrappers', None)
    if isinstance(wrappers, dict):
        return [
            item for wrapper in wrappers.values()
            for item in optimizer_state_tensors(wrapper, names)
        ]
    optimizer = getattr(optim_wrapper, 'optimizer', optim_wrapper)
    state = getattr(optimizer, 'state', None)
    if not isinstance(state, dict):
        return []
    found = []
    for parameter, values in state.items():
        owner = (names or {}).get(id(parameter), 'a parameter')
        if isinstance(values, dict):
            for key, value in values.items():
                found.append((f'{key} of {owner}', value))
    return found


def _checkpoint_tensors(checkpoint: dict) -> List[Tuple[str, Any]]:
    """The weights and the optimiser state of a checkpoint being saved."""
    found = list((checkpoint.get('state_dict') or {}).items())

    def walk(value: Any, path: str) -> None:
        if isinstance(value, torch.Tensor):
            found.append((path, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f'{path}.{key}' if path else str(key))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                walk(item, f'{path}.{index}')

    walk(checkpoint.get('optimizer'), 'optimizer')
    return found


def _listed(names: List[str], limit: int = 5) -> str:
    more = f' and {len(names) - limit} more' if len(names) > limit else ''
    return ', '.join(names[:limit]) + more


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training with a clear message when it blows up or diverges.

    After every iteration's optimiser step, and before the checkpoint hook
    runs, it checks

    - the losses (NaN or infinite);
    - the weights and buffers, and the optimiser state (Adam's moments):
      a finite loss can still produce inf weights in its step (SGD with a
      huge learning rate), which the loss only shows one iteration later;
    - divergence: the total loss above ``divergence_factor`` times its
      running level (the median of the last ``divergence_window`` normal
      iterations) for ``divergence_patience`` iterations in a row.

    Training then stops with :class:`NonFiniteLossError` (or
    :class:`DivergenceError`) naming the iteration, the values and the last
    good checkpoint. The poisoned weights are never saved. Independently of
    ``check_interval``, every checkpoint is checked right before it is
    written, so no checkpoint holds a NaN or an inf.

    Args:
        check_interval (int): Check every this many iterations. Each check
            reads the loss and one flag per tensor back from the device (a
            synchronisation on GPUs). Defaults to 1.
        check_weights (bool): Check the weights and the optimiser state
            after the step. Defaults to True.
        divergence_factor (float, optional): How many times its running
            level the loss may reach. None switches the divergence guard
            off. Defaults to 1000.
        divergence_patience (int): For how many checked iterations in a row.
            Defaults to 5.
        divergence_window (int): Iterations in the running level.
            Defaults to 50.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 check_interval: int = 1,
                 check_weights: bool = True,
                 divergence_factor: Optional[float] = 1000.0,
                 divergence_patience: int = 5,
                 divergence_window: int = 50) -> None:
        if not isinstance(check_interval, int) or check_interval < 1:
            raise ValueError(
                f'check_interval must be >= 1, got {check_interval}.')
        if divergence_factor is not None and not (
                isinstance(divergence_factor, (int, float))
                and math.isfinite(divergence_factor)
                and divergence_factor > 1):
            raise ValueError(
                'divergence_factor must be a number > 1 (or None to switch '
                f'the divergence guard off), got {divergence_factor!r}.')
        for name, value in (('divergence_patience', divergence_patience),
                            ('divergence_window', divergence_window)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be an integer >= 1, got '
                                 f'{value!r}.')
        self.check_interval = check_interval
        self.check_weights = check_weights
        self.divergence_factor = divergence_factor
        self.divergence_patience = divergence_patience
        self._history: deque = deque(maxlen=divergence_window)
        self._streak: List[float] = []
        self._before_streak: Optional[str] = None

    # -- the checks after each step ---------------------------------------
    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Raise when the step left a NaN/inf or the loss diverged.

        Args:
            runner (Runner): The runner.
            batch_idx (int): The batch index.
            data_batch (Any): The batch.
            outputs (dict, optional): The logged losses of the iteration.
        """
        if not self.every_n_train_iters(runner, self.check_interval):
            return
        bad_losses = {}
        for name, value in (outputs or {}).items():
            number = _as_float(value)
            if number is not None and not math.isfinite(number):
                bad_losses[name] = number
        bad_weights: List[str] = []
        bad_state: List[str] = []
        if self.check_weights and not bad_losses:
            model = runner.model.module if is_model_wrapper(
                runner.model) else runner.model
            bad_weights = non_finite_tensors(
                list(model.named_parameters()) + list(model.named_buffers()))
            wrapper = getattr(runner, 'optim_wrapper', None)
            if wrapper is not None and not isinstance(wrapper, dict):
                names = {id(p): n for n, p in model.named_parameters()}
                bad_state = non_finite_tensors(
                    optimizer_state_tensors(wrapper, names))
        diverged = False
        if not (bad_losses or bad_weights or bad_state):
            diverged = self._track(runner, _total_loss(outputs))
        # every rank stops together, or the others would wait for ever
        flags = torch.tensor([
            float(bool(bad_losses)),
            float(bool(bad_weights or bad_state)),
            float(diverged)
        ])
        if get_world_size() > 1:
            all_reduce(flags, op='sum')
        if not flags.any():
            return
        iteration = runner.iter + 1
        if bad_losses:
            values = ', '.join(f'{name}={value}'
                               for name, value in bad_losses.items())
            raise NonFiniteLossError(
                f'The training loss is not finite at iteration {iteration} '
                f'({values}), so training stopped. {self._kept(runner)} '
                f'{_CAUSES}')
        if bad_weights or bad_state:
            parts = []
            if bad_weights:
                parts.append(f'{len(bad_weights)} weight tensor(s): '
                             f'{_listed(bad_weights)}')
            if bad_state:
                parts.append(f'{len(bad_state)} optimiser state tensor(s): '
                             f'{_listed(bad_state)}')
            raise NonFiniteLossError(
                f'The weights are not finite after the optimiser step of '
                f'iteration {iteration} ({"; ".join(parts)} hold NaN or '
                'inf, although the loss was finite), so training stopped. '
                f'{self._kept(runner)} {_CAUSES}')
        if diverged:
            level = statistics.median(self._history)
            streak = ', '.join(f'{value:.4g}' for value in self._streak)
            before = self._before_streak
            kept = (f'The last checkpoint from before the divergence is '
                    f'{before}.' if before and osp.isfile(before) else
                    'No checkpoint was saved before the divergence.')
            last = runner.message_hub.get_info('last_ckpt')
            if last and last != before:
                kept += (' The checkpoints saved since (the newest is '
                         f'{last}) hold weights of the diverging run.')
            raise DivergenceError(
                f'The training loss diverged: at iterations '
                f'{iteration - len(self._streak) + 1}-{iteration} it was '
                f'{streak}, more than {self.divergence_factor:g} times its '
                f'running level ({level:.4g}, the median of the '
                f'{len(self._history)} iterations before), so training '
                f'stopped. {kept} {_CAUSES} If such a rise is expected, '
                'raise default_hooks.non_finite_loss.divergence_factor or '
                'divergence_patience, or set divergence_factor=None.')
        raise NonFiniteLossError(
            f'Training stopped at iteration {iteration}: another rank found '
            'a NaN/inf loss or weight, or a diverging loss (its message '
            'gives the details).')

    def _track(self, runner, loss: Optional[float]) -> bool:
        """Update the running level; whether the divergence guard fires."""
        if self.divergence_factor is None or loss is None:
            return False
        level = statistics.median(self._history) if self._history else None
        if level is not None and level > 0 and \
                loss > self.divergence_factor * level:
            if not self._streak:
                self._before_streak = runner.message_hub.get_info(
                    'last_ckpt')
            self._streak.append(loss)
            return len(self._streak) >= self.divergence_patience
        self._streak = []
        self._history.append(loss)
        return False

    @staticmethod
    def _kept(runner) -> str:
        last = runner.message_hub.get_info('last_ckpt')
        if last and osp.isfile(last):
            return (f'The last good checkpoint is {last}; the weights of '
                    'this iteration were not saved.')
        return 'No checkpoint was saved before it.'

    # -- the check of every checkpoint ------------------------------------
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save a checkpoint that holds a NaN or an inf.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint about to be written.
        """
        bad = non_finite_tensors(_checkpoint_tensors(checkpoint))
        if not bad:
            return
        iteration = checkpoint.get('meta', {}).get('iter', runner.iter)
        raise NonFiniteLossError(
            f'The checkpoint of iteration {iteration} was not saved: '
            f'{len(bad)} of its tensors hold NaN or inf ({_listed(bad)}), '
            f'so training stopped. {self._kept(runner)} {_CAUSES} (With '
            'default_hooks.non_finite_loss.check_interval=1 training stops '
            'at the iteration that produced them.)')


def _as_float(value: Any) -> Optional[float]:
    """A logged loss as a Python float, or None when it is not a number."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None
        return float(value.detach().float().item())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _total_loss(outputs: Optional[dict]) -> Optional[float]:
    """The iteration's total loss (``loss``, else the sum of loss terms)."""
    if not outputs:
        return None
    if 'loss' in outputs:
        return _as_float(outputs['loss'])
    terms = [_as_float(value) for key, value in outputs.items()
             if 'loss' in key]
    terms = [term for term in terms if term is not None]
    return sum(terms) if terms else None
