"""``--amp``: the mixed-precision optimiser wrapper for the machine."""
import warnings

import torch
from mmengine.config import Config


def prepare_amp(cfg: Config) -> None:
    """Switch the optimiser wrapper to mixed precision for this machine.

    On a GPU: mmengine's ``AmpOptimWrapper`` (float16 with dynamic loss
    scaling). On the CPU: stpredict's ``CPUAutocastOptimWrapper`` (bfloat16
    autocast), because ``AmpOptimWrapper`` needs a GPU.

    Args:
        cfg (Config): The config; ``cfg.optim_wrapper`` is changed in place.
    """
    optim_wrapper = cfg.optim_wrapper
    current = optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
        return
    if current != 'OptimWrapper':
        warnings.warn(f'--amp replaces the optimiser wrapper {current}.')
    if torch.cuda.is_available():
        optim_wrapper.type = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        optim_wrapper.type = 'CPUAutocastOptimWrapper'
        optim_wrapper.setdefault('dtype', 'bfloat16')
