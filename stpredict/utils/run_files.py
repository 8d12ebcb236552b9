"""Files a run of the tools reads or writes: the checkpoint given on the
command line, the metrics of a test."""
import json
import os
import os.path as osp
from typing import Any, Dict

import torch


def check_checkpoint(path: str) -> None:
    """Fail fast, before any model or data is built, on a missing file.

    Args:
        path (str): The checkpoint path given on the command line.
    """
    if '://' in path:
        return
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Checkpoint "{path}" does not exist. Give the path of a .pth '
            'file written by tools/train.py (e.g. WORK_DIR/iter_1000.pth or '
            'WORK_DIR/best_*.pth).')


def dump_metrics(metrics: Dict[str, Any], path: str) -> None:
    """Write metrics (with their per-frame curves) to a JSON file.

    Args:
        metrics (dict): The dict that ``Runner.test`` returns.
        path (str): The output file.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value.tolist()
        if hasattr(value, 'tolist'):
            return value.tolist()
        return value

    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, 'w') as file:
        json.dump({key: plain(value) for key, value in metrics.items()},
                  file,
                  indent=2)
