"""Writing the converted config and checkpoint: :func:`convert_openstl`,
the entry point that runs every step."""
import io
import json
import os
import os.path as osp
from typing import Any, Dict, Mapping, Optional

import torch
from mmengine.config import Config

from stpredict.utils.atomic_io import write_with_checksum
from .checking import _check_written
from .configs import (DATA_KEYS, _check_data_frame_size, _flying_digits_data,
                      _set_windows, openstl_model_config)
from .describing import _unused_convlstm_keys, describe_openstl_model
from .methods import METHOD_NAMES, OpenSTLConversionError
from .reading import _load_openstl_file, _stored_hparams, _weights_of
from .weights import convert_openstl_state_dict


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
