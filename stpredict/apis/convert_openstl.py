"""Convert OpenSTL checkpoints of ConvLSTM, PredRNN and PredRNN-V2.

OpenSTL (the field's main toolkit) publishes plain ``state_dict`` files and
its training runs write PyTorch Lightning ``.ckpt`` files whose
``state_dict`` holds the same weights under the prefix ``model.``. Three of
its recurrent models compute exactly what stpredict's cells compute when
their weights are rearranged:

- **ConvLSTM**: OpenSTL's ``conv_x`` (gates ``i, f, g, o`` on ``X``) and
  ``conv_h`` (the same gates on ``H``) concatenate along the input channels
  into :class:`~stpredict.models.cells.ConvLSTMCell`'s fused ``gate_conv``.
  OpenSTL's ConvLSTM cell also builds ``conv_o`` and ``conv_last``, which it
  never uses; they are dropped.
- **PredRNN** (ST-LSTM): ``conv_x`` gives ``i, f, g, i', f', g', o`` on
  ``X``, ``conv_h`` ``i, f, g, o`` on ``H``, ``conv_m`` ``i', f', g'`` on
  ``M``. The ``X`` rows of ``i, f, g, o`` with ``conv_h`` form stpredict's
  ``temporal_conv``, the rows of ``i', f', g'`` with ``conv_m`` its
  ``spatial_conv``; ``conv_o`` is ``output_conv`` and the cell's
  ``conv_last`` is ``fusion_conv``.
- **PredRNN-V2**: the ST-LSTM as above; OpenSTL's one ``adapter`` (shared by
  all layers) is copied into every layer's adapter. It only enters the
  decoupling loss, never the forecast.

The model's ``conv_last`` is the head. OpenSTL's convolutions have no bias
(``bias=False``); its ST-LSTM adds a constant 1 to both forget gates, its
ConvLSTM adds nothing (``forget_bias=1.0`` and ``0.0``, checked against
forecasts that OpenSTL computed). OpenSTL patches frames
channels-last (``[B, T, H/p, W/p, p*p*C]``), in the same order as
stpredict's patching, so the patch size carries over.

Everything else is refused with the reason: ``layer_norm=1`` (OpenSTL
normalises the ``X`` and ``H`` convolutions separately, stpredict the fused
sum), PredRNN++, MIM, E3D-LSTM, MAU and OpenSTL's non-recurrent models.

The entry point is :func:`convert_openstl`; :func:`read_openstl_checkpoint`,
:func:`describe_openstl_model`, :func:`openstl_model_config` and
:func:`convert_openstl_state_dict` are its steps.
"""
import copy
import io
import json
import os
import os.path as osp
from types import SimpleNamespace
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence

import torch
from mmengine.config import Config

from stpredict.utils.atomic_io import write_with_checksum
from stpredict.utils.checkpoint import UnsafeCheckpointError, safe_torch_load

#: OpenSTL methods that convert, by their normalised name (see
#: :func:`normalize_method`), with stpredict's cell for each.
SUPPORTED_METHODS = {
    'convlstm': 'ConvLSTMCell',
    'predrnn': 'SpatioTemporalLSTMCell',
    'predrnnv2': 'SpatioTemporalLSTMv2Cell',
}
#: The constant OpenSTL adds to the forget gates, per method.
FORGET_BIAS = {'convlstm': 0.0, 'predrnn': 1.0, 'predrnnv2': 1.0}
#: How each supported method is spelled in messages.
METHOD_NAMES = {
    'convlstm': 'ConvLSTM',
    'predrnn': 'PredRNN',
    'predrnnv2': 'PredRNNv2',
}
#: Why the other OpenSTL methods are refused.
REFUSED_METHODS = {
    'predrnnpp':
    "PredRNN++: OpenSTL's Causal LSTM output gate also reads H_{t-1} and "
    "its g' of the spatial memory has no M term, while stpredict's follows "
    'the paper (docs/cells.md), so no arrangement of the weights gives '
    "OpenSTL's forecast",
    'mim':
    "MIM: OpenSTL's MIM blocks differ from stpredict's (the paper's "
    'equations) in the output gate, weights shared between i\' and g\', the '
    'inputs and peepholes of MIM-N and MIM-S, and what the layers from the '
    'third one up receive (docs/cells.md)',
    'e3dlstm':
    'E3D-LSTM: OpenSTL pads its 3D convolutions in time by repeating frames '
    'and its recall reshapes the memories without permuting their axes; '
    'stpredict pads with zeros and attends over channel vectors '
    '(docs/cells.md)',
    'mau':
    "MAU: OpenSTL's MAU model runs its cells behind its own frame encoder "
    'and decoder (strided convolutions when sr_size > 1), which no '
    'stpredict predictor builds',
}
#: OpenSTL's models that are not recurrent cell stacks.
NON_RECURRENT_METHODS = ('simvp', 'tau', 'phydnet', 'crevnet', 'prednet',
                         'mmvp', 'dmvfn', 'swinlstm', 'swinlstmd',
                         'swinlstmb', 'wast')
#: The OpenSTL hyperparameter names the converter reads.
HPARAM_NAMES = ('method', 'num_hidden', 'filter_size', 'stride',
                'patch_size', 'layer_norm', 'in_shape', 'pre_seq_length',
                'aft_seq_length', 'decouple_beta')
#: OpenSTL's default weight of PredRNN-V2's decoupling loss.
DEFAULT_DECOUPLE_BETA = 0.1


class OpenSTLConversionError(ValueError):
    """An OpenSTL checkpoint that cannot be converted (the message says why
    and what to do)."""


class OpenSTLModel(NamedTuple):
    """What a converted model is, in stpredict's terms.

    Attributes:
        method (str): Normalised OpenSTL method: ``'convlstm'``,
            ``'predrnn'`` or ``'predrnnv2'``.
        num_hidden (tuple[int, ...]): Hidden channels per layer.
        filter_size (int): Kernel side of the gate convolutions.
        patch_size (int): Side of the space-to-depth patches.
        in_channels (int): Channels of a frame before patching.
        frame_size (tuple[int, int] | None): ``(H, W)`` of the frames, when
            ``in_shape`` gives it.
        pre_seq_length (int): Observed frames ``T_in``.
        aft_seq_length (int): Predicted frames ``T_out``.
        decouple_beta (float): Weight of PredRNN-V2's decoupling loss in
            OpenSTL's training objective.
    """
    method: str
    num_hidden: tuple
    filter_size: int
    patch_size: int
    in_channels: int
    frame_size: Optional[tuple]
    pre_seq_length: int
    aft_seq_length: int
    decouple_beta: float = DEFAULT_DECOUPLE_BETA

    @property
    def patched_channels(self) -> int:
        """Channels of a patched frame, ``patch_size**2 * in_channels``."""
        return self.patch_size**2 * self.in_channels


# ----------------------------------------------------------------------
# hyperparameters
# ----------------------------------------------------------------------
def normalize_method(method: str) -> str:
    """OpenSTL's method name in one spelling: lower case, no separators.

    ``'PredRNNv2'``, ``'predrnn_v2'`` and ``'PredRNN-V2'`` all give
    ``'predrnnv2'``; ``'PredRNN++'`` gives ``'predrnnpp'``.

    Args:
        method (str): The name as written in an OpenSTL config.

    Returns:
        str: The normalised name.
    """
    name = str(method).strip().lower().replace('++', 'pp')
    for separator in ('-', '_', ' ', '.'):
        name = name.replace(separator, '')
    return name


def check_method(method: str) -> str:
    """Normalise ``method`` and refuse the ones that do not convert.

    Args:
        method (str): OpenSTL's method name.

    Returns:
        str: The normalised name of a supported method.

    Raises:
        OpenSTLConversionError: The method has no exact conversion.
    """
    name = normalize_method(method)
    if name in SUPPORTED_METHODS:
        return name
    supported = ', '.join(METHOD_NAMES.values())
    if name in REFUSED_METHODS:
        reason = REFUSED_METHODS[name]
    elif name in NON_RECURRENT_METHODS:
        reason = (f'{method} is not a stack of recurrent cells, the kind of '
                  'model stpredict builds')
    else:
        reason = f'{method!r} is not a method of OpenSTL that stpredict knows'
    raise OpenSTLConversionError(
        f'Cannot convert OpenSTL method {method!r}: {reason}. Only '
        f'{supported} (with layer_norm=0) convert exactly; train this model '
        'in stpredict instead (configs/).')


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


# ----------------------------------------------------------------------
# reading the checkpoint
# ----------------------------------------------------------------------
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


# ----------------------------------------------------------------------
# what the weights are
# ----------------------------------------------------------------------
def _num_layers(state_dict: Mapping[str, torch.Tensor]) -> int:
    layers = set()
    for key in state_dict:
        parts = key.split('.')
        if parts[0] == 'cell_list' and len(parts) > 2 and parts[1].isdigit():
            layers.add(int(parts[1]))
    if not layers or layers != set(range(len(layers))):
        raise OpenSTLConversionError(
            'The weights have no layers cell_list.0, cell_list.1, ...: this '
            'is not a ConvLSTM, PredRNN or PredRNN-V2 checkpoint of OpenSTL. '
            f'Its first keys: {sorted(state_dict)[:6]}.')
    return len(layers)


def _detect_method(state_dict: Mapping[str, torch.Tensor]) -> str:
    """The method that OpenSTL's key layout shows."""
    if 'cell_list.0.conv_m.0.weight' in state_dict:
        return 'predrnnv2' if 'adapter.weight' in state_dict else 'predrnn'
    if 'cell_list.0.conv_x.0.weight' in state_dict:
        return 'convlstm'
    raise OpenSTLConversionError(
        'Cannot tell the OpenSTL method from the weights (no '
        'cell_list.0.conv_x.0.weight): only ConvLSTM, PredRNN and '
        'PredRNN-V2 convert. Its first keys: '
        f'{sorted(state_dict)[:6]}.')


def _expected_shapes(method: str, num_hidden: Sequence[int], patched: int,
                     kernel: int) -> Dict[str, tuple]:
    """Every tensor OpenSTL's model has (required ones), by key."""
    shapes: Dict[str, tuple] = {}
    for layer, hidden in enumerate(num_hidden):
        in_channels = patched if layer == 0 else num_hidden[layer - 1]
        prefix = f'cell_list.{layer}.'
        x_gates = 4 if method == 'convlstm' else 7
        shapes[prefix + 'conv_x.0.weight'] = (x_gates * hidden, in_channels,
                                              kernel, kernel)
        shapes[prefix + 'conv_h.0.weight'] = (4 * hidden, hidden, kernel,
                                              kernel)
        if method != 'convlstm':
            shapes[prefix + 'conv_m.0.weight'] = (3 * hidden, hidden, kernel,
                                                  kernel)
            shapes[prefix + 'conv_o.0.weight'] = (hidden, 2 * hidden, kernel,
                                                  kernel)
            shapes[prefix + 'conv_last.weight'] = (hidden, 2 * hidden, 1, 1)
    shapes['conv_last.weight'] = (patched, num_hidden[-1], 1, 1)
    if method == 'predrnnv2':
        shapes['adapter.weight'] = (num_hidden[0], num_hidden[0], 1, 1)
    return shapes


def _unused_convlstm_keys(state_dict: Mapping[str, torch.Tensor],
                          num_layers: int) -> List[str]:
    """OpenSTL ConvLSTM's modules that its forward pass never calls."""
    unused = []
    for layer in range(num_layers):
        for name in ('conv_o.0.weight', 'conv_last.weight'):
            key = f'cell_list.{layer}.{name}'
            if key in state_dict:
                unused.append(key)
    return unused


def _method(state_dict: Mapping[str, torch.Tensor],
            hparams: Mapping[str, Any]) -> str:
    """The method the weights show, checked against ``hparams['method']``,
    and refused when it has no exact conversion."""
    detected = _detect_method(state_dict)
    if 'method' not in hparams:
        return detected
    method = check_method(hparams['method'])
    if method != detected:
        raise OpenSTLConversionError(
            f"method={hparams['method']!r} but the weights are laid out as "
            f"OpenSTL's {METHOD_NAMES[detected]} (PredRNN has conv_m, "
            'PredRNN-V2 also an adapter, ConvLSTM neither). Give the method '
            'the checkpoint was trained with, or leave it out to use the '
            'detected one.')
    return method


def _check_convertible(state_dict: Mapping[str, torch.Tensor],
                       hparams: Mapping[str, Any], method: str) -> None:
    """Refuse layer norm and strides other than 1, with the reason."""
    layer_norm = _int(hparams.get('layer_norm', 0), 'layer_norm')
    normed = sorted(key for key in state_dict
                    if '.conv_x.1.' in key or '.conv_h.1.' in key)
    if layer_norm or normed:
        shown = f' (the weights have LayerNorms: {normed[:2]})' \
            if normed else ''
        raise OpenSTLConversionError(
            f'Cannot convert OpenSTL {METHOD_NAMES[method]} with '
            f'layer_norm=1{shown}: OpenSTL normalises each gate convolution '
            '(X, H and M separately) with LayerNorm([C, H, W]) before adding '
            "them, stpredict's norm='layer' normalises the fused sum once "
            '(docs/cells.md), so no arrangement of the weights gives '
            "OpenSTL's forecast. Only models trained with layer_norm=0 "
            'convert; train a layer-norm model in stpredict instead.')
    stride = _int(hparams.get('stride', 1), 'stride')
    if stride != 1:
        raise OpenSTLConversionError(
            f'Cannot convert stride={stride}: the cells keep their states at '
            'the frame size, which only stride=1 does (OpenSTL\'s models run '
            'only with stride 1).')


def _layers(state_dict: Mapping[str, torch.Tensor],
            hparams: Mapping[str, Any], method: str) -> tuple:
    """``(num_hidden, filter_size, patched channels)`` from the shapes,
    checked against the hyperparameters that are given."""
    num_layers = _num_layers(state_dict)
    try:
        num_hidden = [
            int(state_dict[f'cell_list.{layer}.conv_h.0.weight'].shape[1])
            for layer in range(num_layers)
        ]
        first = state_dict['cell_list.0.conv_x.0.weight']
    except KeyError as missing:
        raise OpenSTLConversionError(
            f'The weights lack {missing}: this is not a complete OpenSTL '
            f'{METHOD_NAMES[method]} state_dict.') from None
    if first.dim() != 4:
        raise OpenSTLConversionError(
            f'cell_list.0.conv_x.0.weight has shape {tuple(first.shape)}, '
            'not that of a 2D convolution: this is not a ConvLSTM, PredRNN '
            'or PredRNN-V2 checkpoint.')
    kernel = int(first.shape[-1])
    if 'num_hidden' in hparams:
        given = _int_list(hparams['num_hidden'], 'num_hidden')
        if given != num_hidden:
            raise OpenSTLConversionError(
                f"num_hidden={hparams['num_hidden']!r} but the weights have "
                f'{num_layers} layers of {num_hidden} channels. Give the '
                'value the checkpoint was trained with, or leave it out.')
    if 'filter_size' in hparams:
        given = _int(hparams['filter_size'], 'filter_size')
        if given != kernel or first.shape[-2] != kernel:
            raise OpenSTLConversionError(
                f'filter_size={given} but the gate convolutions have '
                f'{tuple(first.shape[-2:])} kernels. Give the value the '
                'checkpoint was trained with, or leave it out.')
    if method != 'convlstm' and len(set(num_hidden)) > 1:
        raise OpenSTLConversionError(
            f'num_hidden={num_hidden}: the zigzag memory of '
            f'{METHOD_NAMES[method]} passes through every layer, so every '
            'layer needs the same width (OpenSTL cannot run this model '
            'either).')
    return tuple(num_hidden), kernel, int(first.shape[1])


def _in_shape(hparams: Mapping[str, Any]) -> Optional[List[int]]:
    if 'in_shape' not in hparams:
        return None
    in_shape = _int_list(hparams['in_shape'], 'in_shape')
    if len(in_shape) != 4:
        raise OpenSTLConversionError(
            f"in_shape={hparams['in_shape']!r} must be OpenSTL's "
            '[T, C, H, W], e.g. [10, 1, 64, 64].')
    return in_shape


def _patching(hparams: Mapping[str, Any], in_shape: Optional[List[int]],
              patched: int) -> tuple:
    """``(patch_size, C, (H, W) or None)`` such that ``patch_size**2 * C``
    is the ``patched`` channels the weights read."""
    patch_size = _int(hparams['patch_size'], 'patch_size') \
        if 'patch_size' in hparams else None
    if patch_size is not None and patch_size < 1:
        raise OpenSTLConversionError(
            f'patch_size={patch_size} must be >= 1.')
    channels = in_shape[1] if in_shape else None
    if patch_size is None and channels is None:
        raise OpenSTLConversionError(
            f'The weights read {patched} channels per patched frame '
            '(patch_size**2 * C), which does not tell patch_size and the '
            'frame channels C apart. Give patch_size (e.g. --patch-size 4) '
            'or in_shape (e.g. --in-shape 10,1,64,64).')
    if patch_size is None:
        root = round((patched / channels)**0.5) \
            if channels > 0 and patched % channels == 0 else 0
        if root < 1 or root * root * channels != patched:
            raise OpenSTLConversionError(
                f'The weights read {patched} channels per patched frame, '
                f'which is not patch_size**2 * C for C={channels} of '
                'in_shape. Check in_shape, or give patch_size.')
        patch_size = root
    if channels is None:
        if patched % (patch_size * patch_size):
            raise OpenSTLConversionError(
                f'The weights read {patched} channels per patched frame, '
                f'which is not a multiple of patch_size**2 = '
                f'{patch_size**2}. Check patch_size.')
        channels = patched // (patch_size * patch_size)
    if patch_size * patch_size * channels != patched:
        raise OpenSTLConversionError(
            f'patch_size={patch_size} and C={channels} (in_shape) make '
            f'{patch_size**2 * channels} channels per patched frame, but the '
            f'weights read {patched}. Give the values the checkpoint was '
            'trained with.')
    if not in_shape:
        return patch_size, channels, None
    frame_size = (in_shape[2], in_shape[3])
    if frame_size[0] % patch_size or frame_size[1] % patch_size:
        raise OpenSTLConversionError(
            f'in_shape frames of {frame_size[0]}x{frame_size[1]} do not '
            f'divide into {patch_size}x{patch_size} patches. Check in_shape '
            'and patch_size.')
    return patch_size, channels, frame_size


def _sequence_lengths(hparams: Mapping[str, Any],
                      in_shape: Optional[List[int]]) -> tuple:
    """``(pre_seq_length, aft_seq_length)``: never in the weights."""
    if 'pre_seq_length' in hparams:
        pre = _int(hparams['pre_seq_length'], 'pre_seq_length')
        if in_shape and in_shape[0] != pre:
            raise OpenSTLConversionError(
                f'pre_seq_length={pre} but in_shape starts with T='
                f'{in_shape[0]}; in OpenSTL both are the observed frames.')
    elif in_shape:
        pre = in_shape[0]
    else:
        raise OpenSTLConversionError(
            'The number of observed frames is not in the weights: give '
            'pre_seq_length (e.g. --pre-seq-length 10) or in_shape.')
    if 'aft_seq_length' not in hparams:
        raise OpenSTLConversionError(
            'The number of predicted frames is not in the weights: give '
            'aft_seq_length (e.g. --aft-seq-length 10).')
    aft = _int(hparams['aft_seq_length'], 'aft_seq_length')
    if pre < 1 or aft < 1:
        raise OpenSTLConversionError(
            f'pre_seq_length={pre} and aft_seq_length={aft} must be >= 1.')
    return pre, aft


def _check_tensors(state_dict: Mapping[str, torch.Tensor], method: str,
                   num_hidden: Sequence[int], patched: int,
                   kernel: int) -> None:
    """Every tensor is one OpenSTL's model has, of the right shape."""
    expected = _expected_shapes(method, num_hidden, patched, kernel)
    problems = []
    for key, shape in expected.items():
        if key not in state_dict:
            problems.append(f'{key} is missing')
        elif tuple(state_dict[key].shape) != shape:
            actual = tuple(state_dict[key].shape)
            problems.append(f'{key} has shape {actual}, expected {shape}')
    allowed = set(expected)
    if method == 'convlstm':
        allowed.update(_unused_convlstm_keys(state_dict, len(num_hidden)))
    unexpected = sorted(set(state_dict) - allowed)
    if unexpected:
        more = len(unexpected) - 6
        problems.append(f'unexpected tensors {unexpected[:6]}'
                        + (f' (+{more} more)' if more > 0 else ''))
    if problems:
        raise OpenSTLConversionError(
            f"The weights are not those of OpenSTL's {METHOD_NAMES[method]} "
            'with layer_norm=0 (convolutions without bias): '
            + '; '.join(problems[:6]) + '. Only unmodified ConvLSTM, PredRNN '
            'and PredRNN-V2 models of OpenSTL convert.')


def describe_openstl_model(state_dict: Mapping[str, torch.Tensor],
                           hparams: Optional[Mapping[str, Any]] = None
                           ) -> OpenSTLModel:
    """Combine OpenSTL's hyperparameters with what the weights show.

    The method, ``num_hidden``, ``filter_size`` and the patched channels
    ``patch_size**2 * C`` are read from the tensor shapes; hyperparameters
    that are given must agree with them. ``patch_size`` and ``C`` cannot be
    told apart from the weights: give ``patch_size`` or ``in_shape``
    (``[T, C, H, W]``). ``pre_seq_length`` (default: ``in_shape[0]``) and
    ``aft_seq_length`` are not in the weights at all and must be given.

    Args:
        state_dict (Mapping[str, torch.Tensor]): OpenSTL's weights (without
            Lightning's ``model.``).
        hparams (Mapping[str, Any], optional): OpenSTL hyperparameters by
            their OpenSTL names (:data:`HPARAM_NAMES`); None values count as
            not given. Defaults to None.

    Returns:
        OpenSTLModel: The model to build.

    Raises:
        OpenSTLConversionError: The model does not convert exactly, a
            hyperparameter disagrees with the weights, or one that cannot
            be inferred is missing; the message names it and the fix.
    """
    hparams = dict(hparams or {})
    unknown = sorted(set(hparams) - set(HPARAM_NAMES))
    if unknown:
        raise OpenSTLConversionError(
            f'Unknown OpenSTL hyperparameters {unknown}; the converter reads '
            f'{list(HPARAM_NAMES)}.')
    hparams = {key: value for key, value in hparams.items()
               if value is not None}
    method = _method(state_dict, hparams)
    _check_convertible(state_dict, hparams, method)
    num_hidden, kernel, patched = _layers(state_dict, hparams, method)
    in_shape = _in_shape(hparams)
    patch_size, channels, frame_size = _patching(hparams, in_shape, patched)
    pre, aft = _sequence_lengths(hparams, in_shape)
    _check_tensors(state_dict, method, num_hidden, patched, kernel)
    beta = float(hparams.get('decouple_beta', DEFAULT_DECOUPLE_BETA))
    return OpenSTLModel(method, num_hidden, kernel, patch_size, channels,
                        frame_size, pre, aft, beta)


# ----------------------------------------------------------------------
# stpredict's model
# ----------------------------------------------------------------------
def openstl_model_config(model: OpenSTLModel) -> dict:
    """The stpredict ``model`` config that computes OpenSTL's forecast.

    The frame loss is OpenSTL's (mean squared error over every pixel);
    PredRNN-V2's decoupling loss is weighted as OpenSTL weights it
    (``decouple_beta`` on the mean over layers and steps; stpredict sums
    over layers, hence ``decouple_beta / num_layers``). Both only matter for
    further training.

    Args:
        model (OpenSTLModel): From :func:`describe_openstl_model`.

    Returns:
        dict: The ``model`` entry of a config.
    """
    cell = dict(
        type=SUPPORTED_METHODS[model.method],
        kernel_size=model.filter_size,
        bias=False,
        forget_bias=FORGET_BIAS[model.method])
    hidden = list(model.num_hidden)
    config = dict(
        type='RecurrentPredictor',
        input_frames=model.pre_seq_length,
        output_frames=model.aft_seq_length,
        in_channels=model.in_channels,
        data_preprocessor=dict(
            type='SequenceDataPreprocessor', patch_size=model.patch_size),
        stem=None,
        neck=dict(
            type='SingleScaleStack',
            cell=cell,
            num_layers=len(hidden),
            hidden_channels=hidden if len(set(hidden)) > 1 else hidden[0]),
        head=dict(type='Conv2d', kernel_size=1, bias=False),
        loss=dict(type='FrameLoss', error='l2', reduction='pixel_mean'))
    if model.method == 'predrnnv2':
        config['aux_loss_weights'] = dict(
            loss_decouple=model.decouple_beta / len(hidden))
    return config


def convert_openstl_state_dict(state_dict: Mapping[str, torch.Tensor],
                               model: OpenSTLModel
                               ) -> Dict[str, torch.Tensor]:
    """Rearrange OpenSTL's weights into those of stpredict's model.

    Args:
        state_dict (Mapping[str, torch.Tensor]): OpenSTL's weights, checked
            by :func:`describe_openstl_model`.
        model (OpenSTLModel): What they are.

    Returns:
        dict[str, torch.Tensor]: The weights of the model built from
        :func:`openstl_model_config` (contiguous copies).
    """
    converted: Dict[str, torch.Tensor] = {}
    for layer, hidden in enumerate(model.num_hidden):
        old = f'cell_list.{layer}.'
        new = f'neck.cells.{layer}.'
        conv_x = state_dict[old + 'conv_x.0.weight']
        conv_h = state_dict[old + 'conv_h.0.weight']
        if model.method == 'convlstm':
            # i, f, g, o on X and on H -> one convolution on [X, H]
            converted[new + 'gate_conv.weight'] = torch.cat([conv_x, conv_h],
                                                            dim=1)
            continue
        # conv_x: i, f, g, i', f', g', o on X; conv_h: i, f, g, o on H;
        # conv_m: i', f', g' on M
        x_temporal = torch.cat([conv_x[:3 * hidden], conv_x[6 * hidden:]])
        x_spatial = conv_x[3 * hidden:6 * hidden]
        conv_m = state_dict[old + 'conv_m.0.weight']
        converted[new + 'temporal_conv.weight'] = torch.cat(
            [x_temporal, conv_h], dim=1)
        converted[new + 'spatial_conv.weight'] = torch.cat(
            [x_spatial, conv_m], dim=1)
        converted[new + 'output_conv.weight'] = state_dict[old +
                                                           'conv_o.0.weight']
        converted[new + 'fusion_conv.weight'] = state_dict[old +
                                                           'conv_last.weight']
        if model.method == 'predrnnv2':
            # OpenSTL shares one adapter; every stpredict layer has its own
            converted[new + 'adapter.weight'] = state_dict['adapter.weight']
    converted['head.weight'] = state_dict['conv_last.weight']
    return {
        key: value.detach().clone().contiguous()
        for key, value in converted.items()
    }


def _flying_digits_data(model: OpenSTLModel) -> Optional[dict]:
    """Test/val loaders of synthetic flying digits at the model's shape.

    A stand-in test set that needs no download (gray, square frames of at
    least 28 pixels, the digits' size); None when the frames are not so.
    """
    if model.in_channels != 1 or model.frame_size is None:
        return None
    height, width = model.frame_size
    if height != width or height < 28:
        return None
    dataset = dict(
        type='FlyingDigits',
        num_digits=2,
        image_size=height,
        input_frames=model.pre_seq_length,
        output_frames=model.aft_seq_length,
        mnist_file=None,
        pipeline=[dict(type='PackSequenceInputs')])
    loader = dict(batch_size=8, num_workers=2, persistent_workers=True)
    metrics = [
        dict(type='MSE', reduction=('frame_sum', 'pixel_mean')),
        dict(type='MAE', reduction=('frame_sum', 'pixel_mean')),
        dict(type='SSIM'),
        dict(type='PSNR'),
    ]
    return dict(
        val_dataloader=dict(
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(dataset, split='val'),
            **loader),
        test_dataloader=dict(
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(dataset, split='test'),
            **loader),
        val_evaluator=metrics,
        test_evaluator=copy.deepcopy(metrics),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'))


#: Entries of a data config that the converted config takes over.
DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
             'val_evaluator', 'test_evaluator', 'val_cfg', 'test_cfg')


def _set_windows(cfg: dict, model: OpenSTLModel) -> None:
    """Make every loader's windows match the converted model."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(name) or {}).get('dataset')
        while isinstance(dataset, dict) and isinstance(
                dataset.get('dataset'), dict):  # dataset wrappers
            dataset = dataset['dataset']
        if isinstance(dataset, dict):
            dataset['input_frames'] = model.pre_seq_length
            dataset['output_frames'] = model.aft_seq_length


def _check_data_frame_size(data: dict, model: OpenSTLModel,
                           data_config: str) -> None:
    """The data's frames have the size of ``in_shape``, when both say."""
    from .inference import model_frame_size
    size = model_frame_size(SimpleNamespace(cfg=Config(data)))
    if model.frame_size and size and tuple(size) != tuple(model.frame_size):
        raise OpenSTLConversionError(
            f'The data config {data_config} has frames of '
            f'{size[0]}x{size[1]}, the model was trained on in_shape frames '
            f'of {model.frame_size[0]}x{model.frame_size[1]}. Give a data '
            'config of that size (or set its image_size), or the in_shape '
            'the checkpoint was trained with.')


def convert_openstl(checkpoint: str,
                    out_dir: str,
                    hparams: Optional[Mapping[str, Any]] = None,
                    name: Optional[str] = None,
                    runtime_config: Optional[str] = None,
                    data_config: Optional[str] = None,
                    check_forecast: bool = True) -> Dict[str, Any]:
    """Write a stpredict config and checkpoint from an OpenSTL checkpoint.

    ``OUT_DIR/NAME.py`` is a self-contained config (the model, the runtime
    settings of ``runtime_config`` and the data of ``data_config``) and
    ``OUT_DIR/NAME.pth`` (with its ``.sha256``) holds the converted weights;
    ``tools/test.py``, ``tools/infer.py`` and
    :func:`~stpredict.apis.init_forecaster` load them as they load a trained
    model.

    Data: the loaders and evaluators of ``data_config`` (any stpredict
    config, e.g. ``configs/_base_/datasets/moving_mnist.py``; their windows
    are set to the model's frames). Without it, gray square frames of at
    least 28 pixels get synthetic flying digits of that size (no
    download), so that ``tools/test.py`` runs at once; other frames get no
    test data (pass ``data_config`` to test).

    Args:
        checkpoint (str): OpenSTL's ``.pth`` state dict or Lightning
            ``.ckpt``.
        out_dir (str): Folder for the written files.
        hparams (Mapping[str, Any], optional): OpenSTL hyperparameters by
            their OpenSTL names (:data:`HPARAM_NAMES`); what the weights
            show may be left out. They override those a Lightning
            checkpoint keeps in its ``hyper_parameters``. Defaults to None.
        name (str, optional): File stem. Defaults to
            ``openstl_<method>_<layers>x<width>_<T_in>to<T_out>``.
        runtime_config (str, optional): A config whose runtime settings
            (hooks, logging, ``default_scope``) the written config takes,
            e.g. ``configs/_base_/default_runtime.py``. Defaults to None
            (only ``default_scope='stpredict'``).
        data_config (str, optional): A config whose data loaders,
            evaluators and val/test loops are taken. Defaults to None.
        check_forecast (bool): Build the written model from the written
            files, load the weights strictly and check that it forecasts
            (finite values of the right shape). Defaults to True.

    Returns:
        dict: ``config`` and ``checkpoint`` (the written paths), ``model``
        (:class:`OpenSTLModel`), ``dropped`` (OpenSTL tensors left out
        because its forward pass never uses them), ``stored_hparams`` (the
        names taken from a Lightning checkpoint's ``hyper_parameters``) and
        ``has_test_data``.
    """
    loaded = _load_openstl_file(checkpoint)
    state_dict = _weights_of(loaded, checkpoint)
    stored = _stored_hparams(loaded)
    merged = dict(stored)
    merged.update({
        key: value
        for key, value in (hparams or {}).items() if value is not None
    })
    model = describe_openstl_model(state_dict, merged)
    weights = convert_openstl_state_dict(state_dict, model)
    dropped = _unused_convlstm_keys(state_dict, len(model.num_hidden)) \
        if model.method == 'convlstm' else []

    cfg: Dict[str, Any] = {}
    if runtime_config is not None:
        cfg.update(Config.fromfile(runtime_config).to_dict())
    cfg.setdefault('default_scope', 'stpredict')
    cfg['model'] = openstl_model_config(model)
    if data_config is not None:
        data = Config.fromfile(data_config).to_dict()
        taken = {key: data[key] for key in DATA_KEYS if key in data}
        if 'test_dataloader' not in taken:
            raise OpenSTLConversionError(
                f'The data config {data_config} has no test_dataloader; give '
                'a dataset config, e.g. configs/_base_/datasets/'
                'moving_mnist.py.')
        if 'test_evaluator' not in taken:
            raise OpenSTLConversionError(
                f'The data config {data_config} has a test_dataloader but no '
                'test_evaluator; give a dataset config from '
                'configs/_base_/datasets/.')
        taken.setdefault('test_cfg', dict(type='TestLoop'))
        if 'val_dataloader' in taken:
            taken.setdefault('val_cfg', dict(type='ValLoop'))
        _check_data_frame_size(taken, model, data_config)
        cfg.update(taken)
    else:
        cfg.update(_flying_digits_data(model) or {})
    _set_windows(cfg, model)

    hidden = model.num_hidden
    width = f'{hidden[0]}' if len(set(hidden)) == 1 else '-'.join(
        str(h) for h in hidden)
    name = name or (f'openstl_{model.method}_{len(hidden)}x{width}_'
                    f'{model.pre_seq_length}to{model.aft_seq_length}')
    os.makedirs(out_dir, exist_ok=True)
    config_path = osp.join(out_dir, f'{name}.py')
    checkpoint_path = osp.join(out_dir, f'{name}.pth')

    source = dict(
        checkpoint=osp.abspath(checkpoint),
        method=METHOD_NAMES[model.method],
        hparams=dict(
            method=METHOD_NAMES[model.method],
            num_hidden=','.join(str(h) for h in hidden),
            filter_size=model.filter_size,
            stride=1,
            patch_size=model.patch_size,
            layer_norm=0,
            in_shape=[model.pre_seq_length, model.in_channels,
                      *(model.frame_size or ())] if model.frame_size else
            None,
            pre_seq_length=model.pre_seq_length,
            aft_seq_length=model.aft_seq_length),
        dropped=dropped)
    header = (
        '# Converted from an OpenSTL checkpoint by\n'
        '# tools/model_converters/openstl2stpredict.py:\n'
        f'#   {source["checkpoint"]}\n'
        f'# OpenSTL {source["method"]}: '
        + json.dumps({k: v for k, v in source['hparams'].items()
                      if v is not None}) + '\n')
    if data_config is not None:
        header += f'# Data: {data_config}\n'
    elif 'test_dataloader' in cfg:
        header += ('# Data: synthetic flying digits of the model\'s frame '
                   'size (a stand-in test set,\n# no download); convert '
                   'with --data-config to test on your data.\n')
    else:
        header += ('# Data: none (tools/test.py needs a test set: convert '
                   'with --data-config).\n')
    text = header + Config(cfg).pretty_text
    with open(config_path, 'w', encoding='utf-8') as file:
        file.write(text)
    buffer = io.BytesIO()
    torch.save(dict(state_dict=weights, meta=dict(converted_from=source)),
               buffer)
    write_with_checksum(buffer.getvalue(), checkpoint_path)

    if check_forecast:
        _check_written(config_path, checkpoint_path, model)
    return dict(
        config=config_path,
        checkpoint=checkpoint_path,
        model=model,
        dropped=dropped,
        stored_hparams=sorted(set(stored) - set(hparams or {})),
        has_test_data='test_dataloader' in cfg)


def _check_written(config_path: str, checkpoint_path: str,
                   model: OpenSTLModel) -> None:
    """Load the written files as a user would and forecast once."""
    from .inference import init_forecaster
    forecaster = init_forecaster(config_path, checkpoint_path)
    height, width = model.frame_size or (4 * model.patch_size,
                                         4 * model.patch_size)
    frames = torch.rand(
        1,
        model.pre_seq_length,
        model.in_channels,
        height,
        width,
        generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = forecaster.predict(forecaster.data_preprocessor.patch(frames))
    pred = out[0].pred_frames
    expected = (model.aft_seq_length, model.in_channels, height, width)
    if tuple(pred.shape) != expected or not torch.isfinite(pred).all():
        raise RuntimeError(  # pragma: no cover - a converter bug
            f'The converted model forecasts {tuple(pred.shape)} frames '
            f'(finite: {bool(torch.isfinite(pred).all())}), expected '
            f'{expected}.')


def compare_with_openstl(config: str, checkpoint: str,
                         openstl_io: str) -> float:
    """Largest difference between the converted model's and OpenSTL's
    forecasts of the same frames.

    Args:
        config (str): The written config.
        checkpoint (str): The written checkpoint.
        openstl_io (str): A file saved with ``torch.save`` holding
            ``frames`` (float ``[B, T, C, H, W]`` in ``[0, 1]``, at least the
            ``T_in`` observed ones) and ``forecast`` (what OpenSTL's model
            predicts for the next ``T_out`` frames, ``[B, T_out, C, H,
            W]``), read with the safe loader.

    Returns:
        float: ``max |predict - forecast.clamp(0, 1)|`` (stpredict's
        ``predict`` clips to ``[0, 1]``, OpenSTL does not).
    """
    from .inference import init_forecaster
    data = safe_torch_load(openstl_io, map_location='cpu')
    if not isinstance(data, Mapping) or not all(
            isinstance(data.get(key), torch.Tensor)
            for key in ('frames', 'forecast')):
        raise OpenSTLConversionError(
            f'{openstl_io} must hold a dict with the tensors "frames" '
            '[B, T, C, H, W] and "forecast" [B, T_out, C, H, W] (OpenSTL\'s '
            'prediction of the frames after the first T_in).')
    model = init_forecaster(config, checkpoint)
    frames, reference = data['frames'].float(), data['forecast'].float()
    with torch.no_grad():
        samples = model.predict(model.data_preprocessor.patch(frames))
    pred = torch.stack([sample.pred_frames for sample in samples])
    if pred.shape != reference.shape:
        raise OpenSTLConversionError(
            f'OpenSTL\'s forecast in {openstl_io} has shape '
            f'{tuple(reference.shape)}, the converted model forecasts '
            f'{tuple(pred.shape)} from its frames: check pre_seq_length, '
            'aft_seq_length and in_shape.')
    return float((pred - reference.clamp(0, 1)).abs().max())


__all__ = [
    'OpenSTLConversionError', 'OpenSTLModel', 'SUPPORTED_METHODS',
    'REFUSED_METHODS', 'HPARAM_NAMES', 'normalize_method', 'check_method',
    'load_openstl_hparams', 'read_openstl_checkpoint',
    'describe_openstl_model', 'openstl_model_config',
    'convert_openstl_state_dict', 'convert_openstl', 'compare_with_openstl'
]
