"""Reading an OpenSTL checkpoint safely: the weights without Lightning's
prefix, and the hyperparameters a Lightning checkpoint keeps."""
from typing import Any, Dict, Mapping

import torch

from stpredict.utils.checkpoint import UnsafeCheckpointError, safe_torch_load
from .methods import HPARAM_NAMES, OpenSTLConversionError


def _load_openstl_file(path: str) -> Mapping:
    """The dict in an OpenSTL file, read with the safe loader."""
    try:
        loaded = safe_torch_load(path, map_location='cpu')
    except UnsafeCheckpointError as error:
        raise UnsafeCheckpointError(
            f'{error}\nOpenSTL\'s Lightning checkpoints can hold pickled '
            'objects besides the weights (hyperparameters, scheduler '
            'states); stpredict never unpickles those. Fix: where you trust '
            'the file (e.g. in the OpenSTL environment that wrote it), save '
            'its weights alone and convert that file: python -c "import '
            "torch; ckpt = torch.load('IN.ckpt', weights_only=False); "
            "torch.save(ckpt.get('state_dict', ckpt), 'weights.pth')\"") \
            from None
    if not isinstance(loaded, Mapping):
        raise OpenSTLConversionError(
            f'"{path}" holds a {type(loaded).__name__}, not a state_dict. '
            "Give OpenSTL's weights file (model.state_dict() saved with "
            'torch.save) or a Lightning .ckpt.')
    return loaded


def _weights_of(loaded: Mapping, path: str) -> Dict[str, torch.Tensor]:
    """OpenSTL's weights in a loaded file, without Lightning's prefix."""
    if 'state_dict' in loaded and isinstance(loaded['state_dict'], Mapping):
        weights = loaded['state_dict']
        lightning = any(key.startswith('model.') for key in weights)
        if lightning:
            weights = {
                key[len('model.'):]: value
                for key, value in weights.items()
                if key.startswith('model.')
            }
    else:
        weights = loaded
    weights = {
        key[len('module.'):] if key.startswith('module.') else key: value
        for key, value in weights.items()
    }
    not_tensors = [
        key for key, value in weights.items()
        if not isinstance(value, torch.Tensor)
    ]
    if not weights or not_tensors:
        raise OpenSTLConversionError(
            f'"{path}" is not an OpenSTL state_dict: '
            + (f'entries {not_tensors[:5]} are not tensors'
               if not_tensors else 'it holds no weights') +
            ". Give OpenSTL's weights file (model.state_dict() saved with "
            "torch.save) or a Lightning .ckpt whose 'state_dict' holds the "
            "weights under 'model.'.")
    return dict(weights)


def _is_plain(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, (int, float)) for item in value)
    return isinstance(value, (str, int, float))


def _stored_hparams(loaded: Mapping) -> Dict[str, Any]:
    """The hyperparameters a Lightning checkpoint keeps, by OpenSTL name."""
    stored = loaded.get('hyper_parameters')
    if not isinstance(stored, Mapping):
        return {}
    return {
        key: stored[key]
        for key in HPARAM_NAMES
        if key in stored and _is_plain(stored[key])
    }


def read_openstl_checkpoint(path: str) -> Dict[str, torch.Tensor]:
    """The weights of an OpenSTL checkpoint, without Lightning's prefix.

    The file is read with stpredict's safe loader (torch's
    ``weights_only=True`` and an allow-list, see
    :func:`~stpredict.utils.checkpoint.safe_torch_load`). A plain state dict
    (OpenSTL's model zoo) is returned as it is; of a Lightning checkpoint
    (a dict with a ``state_dict`` whose keys start with ``model.``) only the
    weights under ``model.`` are kept; the other entries (epoch, optimiser
    and scheduler states) are ignored, except that :func:`convert_openstl`
    reads the OpenSTL names of :data:`HPARAM_NAMES` from its
    ``hyper_parameters``.

    Args:
        path (str): The ``.pth`` or ``.ckpt`` file.

    Returns:
        dict[str, torch.Tensor]: OpenSTL's weights, e.g.
        ``cell_list.0.conv_x.0.weight``.

    Raises:
        UnsafeCheckpointError: The file holds a pickled object that is not
            on the allow-list (e.g. a Lightning ``.ckpt`` with a custom
            object in its hyperparameters); nothing of it was executed. The
            message says how to extract the weights.
        OpenSTLConversionError: The file holds no OpenSTL weights.
    """
    return _weights_of(_load_openstl_file(path), path)
