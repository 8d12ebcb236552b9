"""Name the process count honestly in the Runner's environment log.

mmengine's ``Runner`` logs its world size as ``GPU number: N`` in the
"Runtime environment" block, also on a machine without a GPU, where
``tools/dist_train.sh CONFIG 2`` runs two CPU processes (gloo). Importing
``stpredict.engine`` wraps ``Runner._log_env`` so that, when CUDA is not
available, that line reads ``Processes: N (CPU, no GPU)``; with GPUs the
log is mmengine's. Nothing else of the log or the Runner changes.
"""
import logging
import re

import torch
from mmengine.runner import Runner

GPU_NUMBER = re.compile(r'GPU number: (\d+)')


def process_count_text(world_size: int) -> str:
    """The line that replaces ``GPU number: N`` on CPU-only machines.

    Args:
        world_size (int): Number of processes of the run.

    Returns:
        str: e.g. ``'Processes: 2 (CPU, no GPU)'``.
    """
    return f'Processes: {world_size} (CPU, no GPU)'


class ProcessCountFilter(logging.Filter):
    """Rewrites ``GPU number: N`` to :func:`process_count_text` in a log
    record (the message only; other records pass unchanged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and 'GPU number:' in record.msg:
            record.msg = GPU_NUMBER.sub(
                lambda match: process_count_text(int(match.group(1))),
                record.msg)
        return True


def patch_runner_env_log() -> None:
    """Wrap ``mmengine.runner.Runner._log_env`` once (see the module)."""
    original = Runner._log_env
    if getattr(original, 'stpredict_wrapped', False):
        return

    def _log_env(self, env_cfg: dict) -> None:
        if torch.cuda.is_available():
            return original(self, env_cfg)
        rewrite = ProcessCountFilter()
        self.logger.addFilter(rewrite)
        try:
            return original(self, env_cfg)
        finally:
            self.logger.removeFilter(rewrite)

    _log_env.stpredict_wrapped = True
    _log_env.__doc__ = original.__doc__
    Runner._log_env = _log_env


patch_runner_env_log()
