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
:func:`convert_openstl_state_dict` are its steps, one module each:
``methods`` (what converts and why not), ``hparams`` (OpenSTL's
hyperparameters), ``reading`` (the checkpoint, read safely), ``describing``
(what the weights are), ``weights`` (mapping them), ``configs`` (the written
model and data config), ``convert`` (writing config and checkpoint) and
``checking`` (the written model forecasts, as OpenSTL's did).
"""
from .checking import compare_with_openstl
from .configs import openstl_model_config
from .convert import convert_openstl
from .describing import describe_openstl_model
from .hparams import load_openstl_hparams
from .methods import (DEFAULT_DECOUPLE_BETA, FORGET_BIAS, HPARAM_NAMES,
                      METHOD_NAMES, NON_RECURRENT_METHODS, REFUSED_METHODS,
                      SUPPORTED_METHODS, OpenSTLConversionError, OpenSTLModel,
                      check_method, normalize_method)
from .reading import read_openstl_checkpoint
from .weights import convert_openstl_state_dict

__all__ = [
    'OpenSTLConversionError', 'OpenSTLModel', 'SUPPORTED_METHODS',
    'REFUSED_METHODS', 'NON_RECURRENT_METHODS', 'METHOD_NAMES',
    'FORGET_BIAS', 'HPARAM_NAMES', 'DEFAULT_DECOUPLE_BETA', 'normalize_method',
    'check_method',
    'load_openstl_hparams', 'read_openstl_checkpoint',
    'describe_openstl_model', 'openstl_model_config',
    'convert_openstl_state_dict', 'convert_openstl', 'compare_with_openstl'
]
