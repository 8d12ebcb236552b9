"""Config values that would make a run fail late or run silently wrong."""
import math
from typing import Any, List, Optional

from mmengine.config import Config


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _config_get(cfg: Any, dotted: str) -> Any:
    node = dict(cfg) if isinstance(cfg, Config) else cfg
    for key in dotted.split('.'):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def config_value_problems(cfg: Config, training: bool = True) -> List[str]:
    """Values that would make a run fail late or run silently wrong.

    Iteration and epoch counts, intervals and batch sizes must be integers
    >= 1 (a checkpoint interval may be -1: no periodic checkpoints), worker
    counts integers >= 0, and the learning rate a positive finite number.

    Args:
        cfg (Config): The merged config.
        training (bool): Whether the run trains. Defaults to True.

    Returns:
        list[str]: One message per problem, naming the key and the fix.
    """
    problems = []

    def integer(key: str, minimum: int, meaning: str,
                off: Optional[str] = None) -> None:
        """``off``: what -1 means, where -1 is allowed."""
        value = _config_get(cfg, key)
        if value is None:
            return
        if _is_int(value) and (value >= minimum or
                               (off is not None and value == -1)):
            return
        allowed = f'an integer >= {minimum}'
        if off is not None:
            allowed += f' (or -1: {off})'
        problems.append(
            f'{key}={value!r}: {meaning} must be {allowed}. Fix it in the '
            f'config or with --cfg-options {key}=...')

    loaders = ['test_dataloader']
    if training:
        loaders = ['train_dataloader']
        if cfg.get('val_cfg', None) is not None:
            loaders.append('val_dataloader')
        integer('train_cfg.max_iters', 1, 'the number of training '
                'iterations')
        integer('train_cfg.max_epochs', 1, 'the number of training epochs')
        integer('train_cfg.val_interval', 1, 'the validation interval (in '
                'iterations or epochs)')
        integer('default_hooks.checkpoint.interval', 1,
                'the checkpoint interval (in iterations or epochs)',
                off='no periodic checkpoints')
        integer('default_hooks.logger.interval', 1, 'the logging interval '
                '(in iterations)')
        key = 'optim_wrapper.optimizer.lr'
        lr = _config_get(cfg, key)
        if lr is not None and (isinstance(lr, bool)
                               or not isinstance(lr, (int, float))
                               or not math.isfinite(lr) or lr <= 0):
            problems.append(
                f'{key}={lr!r}: the learning rate must be a positive finite '
                'number (e.g. 1e-3). Fix it in the config or with '
                f'--cfg-options {key}=0.001')
    for name in loaders:
        integer(f'{name}.batch_size', 1, 'the batch size')
        integer(f'{name}.num_workers', 0, 'the number of data loading '
                'processes')
    return problems


def check_config_values(cfg: Config, training: bool = True) -> None:
    """Raise on the values :func:`config_value_problems` finds.

    Args:
        cfg (Config): The merged config.
        training (bool): Whether the run trains. Defaults to True.

    Raises:
        ValueError: Listing every problem.
    """
    problems = config_value_problems(cfg, training)
    if problems:
        raise ValueError(
            f'The config {cfg.filename} has invalid values:\n  ' +
            '\n  '.join(problems))
