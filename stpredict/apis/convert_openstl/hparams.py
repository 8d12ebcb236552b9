"""OpenSTL hyperparameters: read from a JSON file or an OpenSTL config, and
parsed from OpenSTL's spellings (``'64,64'``, ``[64, 64]``, ``64``)."""
import json
import os.path as osp
from typing import Any, Dict, List

from mmengine.config import Config

from .methods import HPARAM_NAMES, OpenSTLConversionError


def _int_list(value: Any, name: str) -> List[int]:
    """``'16,16'``, ``[16, 16]`` or ``16`` as a list of ints."""
    if isinstance(value, str):
        parts = [part for part in value.replace(' ', '').split(',') if part]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        parts = [value]
    try:
        numbers = [int(part) for part in parts]
    except (TypeError, ValueError):
        numbers = None
    if not numbers or any(n != float(p) for n, p in zip(numbers, parts)):
        raise OpenSTLConversionError(
            f'OpenSTL hyperparameter {name}={value!r} is not a list of '
            "integers; write it as OpenSTL does, e.g. '64,64,64,64'.")
    return numbers


def _int(value: Any, name: str) -> int:
    numbers = _int_list(value, name)
    if len(numbers) != 1:
        raise OpenSTLConversionError(
            f'OpenSTL hyperparameter {name}={value!r} must be one integer.')
    return numbers[0]


def load_openstl_hparams(path: str) -> Dict[str, Any]:
    """Read OpenSTL hyperparameters from a JSON file or an OpenSTL config.

    A ``.json`` file holds one object, e.g. ``{"method": "PredRNN",
    "num_hidden": "64,64,64,64", "patch_size": 4, ...}``; a ``.py`` file is
    an OpenSTL method config (``configs/mmnist/PredRNN.py``: module-level
    ``method = 'PredRNN'``, ``num_hidden = '128,128,128,128'``, ...; it is
    executed as mmengine executes configs, so only use your own files).
    Names other than :data:`HPARAM_NAMES` (learning rate, schedules, ...)
    are ignored.

    Args:
        path (str): The file.

    Returns:
        dict: The hyperparameters the converter reads.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'OpenSTL hyperparameter file "{path}" does not exist. Give a '
            'JSON file or OpenSTL\'s method config (e.g. '
            'configs/mmnist/PredRNN.py of OpenSTL).')
    if path.endswith('.json'):
        with open(path, encoding='utf-8') as file:
            values = json.load(file)
        if not isinstance(values, dict):
            raise OpenSTLConversionError(
                f'{path} must hold one JSON object of OpenSTL '
                'hyperparameters, e.g. {"method": "PredRNN", "patch_size": '
                '4}.')
    elif path.endswith('.py'):
        values = Config.fromfile(path).to_dict()
    else:
        raise OpenSTLConversionError(
            f'Cannot read OpenSTL hyperparameters from "{path}": give a '
            '.json file or an OpenSTL .py config.')
    return {key: values[key] for key in HPARAM_NAMES if key in values}
