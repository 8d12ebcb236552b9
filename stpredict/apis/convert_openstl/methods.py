"""The OpenSTL methods that convert, the ones refused and why, and what a
converted model is."""
from typing import NamedTuple, Optional

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
