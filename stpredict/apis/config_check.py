"""The checks the tools run on a merged config before anything is built.

They live in ``apis`` rather than ``utils`` because one of them asks the
transfer methods' source models (:mod:`stpredict.models`) whether their
checkpoints exist; nothing in ``stpredict.utils`` imports the models.
"""
from typing import Any, Dict

from mmengine.config import Config

from stpredict.models.transfer.source_models import find_checkpoint
from stpredict.utils.config_values import check_config_values
from stpredict.utils.hook_settings import add_safety_hooks, normalize_hooks
from stpredict.utils.registry_check import (check_component_arguments,
                                            check_registry_names)


def _frames(dataset_cfg: Any) -> Dict[str, int]:
    """The window lengths a dataset config sets, if any."""
    if not isinstance(dataset_cfg, dict):
        return {}
    if 'dataset' in dataset_cfg and isinstance(dataset_cfg['dataset'], dict):
        return _frames(dataset_cfg['dataset'])  # dataset wrappers
    return {
        key: dataset_cfg[key]
        for key in ('input_frames', 'output_frames') if key in dataset_cfg
    }


def check_config(cfg: Config, training: bool = True) -> None:
    """Catch configuration mistakes before a long run starts.

    Checks the values of iteration counts, intervals, batch sizes and the
    learning rate, that every component ``type`` is registered (with close
    names for typos) and takes the keyword arguments the config gives it,
    that the data loaders the run needs are configured and that
    the dataset windows match the model's ``input_frames``/
    ``output_frames``. (Shapes are checked against the real data by
    :class:`~stpredict.engine.hooks.PreflightCheckHook` once the model and
    the dataset are built, before the first iteration.)

    Args:
        cfg (Config): The merged config.
        training (bool): Whether the run trains (else it only tests).
            Defaults to True.
    """
    model = cfg.get('model', None)
    if model is None:
        raise ValueError(f'The config {cfg.filename} has no "model".')
    add_safety_hooks(cfg)
    normalize_hooks(cfg)
    check_config_values(cfg, training)
    check_registry_names(cfg)
    check_component_arguments(cfg)
    needed = ['train_dataloader'] if training else ['test_dataloader']
    if training and cfg.get('val_cfg', None) is not None:
        needed.append('val_dataloader')
    for name in needed:
        if cfg.get(name, None) is None:
            raise ValueError(
                f'The config {cfg.filename} has no {name}; inherit a dataset '
                'config from configs/_base_/datasets/.')
    if training:
        check_transfer_sources(cfg)
    for name in needed:
        frames = _frames(cfg[name].get('dataset'))
        for key, value in frames.items():
            if key in model and model[key] != value:
                raise ValueError(
                    f'{name}.dataset.{key}={value} but model.{key}='
                    f'{model[key]}: the dataset windows must match the '
                    f'model. Set both to the same value (e.g. --cfg-options '
                    f'model.{key}={value}).')


def check_transfer_sources(cfg: Config) -> None:
    """Fail before training when a source model has not been trained yet.

    The error names the exact command that trains the missing source.

    Args:
        cfg (Config): The merged config.
    """
    transfer = cfg.model.get('transfer') if cfg.get('model') else None
    if not transfer:
        return
    if 'sources' in transfer:
        for source in transfer['sources']:
            find_checkpoint(source.get('config'), source.get('checkpoint'))
    elif transfer.get('checkpoint') or transfer.get('config'):
        find_checkpoint(transfer.get('config'), transfer.get('checkpoint'))
