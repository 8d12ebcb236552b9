"""What OpenSTL's weights are: the method, layers, kernel and patching read
from the tensor shapes and checked against the given hyperparameters."""
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch

from .hparams import _int, _int_list
from .methods import (DEFAULT_DECOUPLE_BETA, HPARAM_NAMES, METHOD_NAMES,
                      OpenSTLConversionError, OpenSTLModel, check_method)


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
