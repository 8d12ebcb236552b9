"""Building a trained model for forecasting: :func:`init_forecaster`, and
the frame size it was trained on."""
import collections
import copy
import inspect
import os
import os.path as osp
import warnings
from typing import Any, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader

from stpredict.engine.hooks.frame_meta_hook import FRAME_META_KEY
from stpredict.fileio import parse_image_size
from stpredict.registry import DATASETS, MODELS
from stpredict.utils.checkpoint import register_safe_checkpoint_loader
from stpredict.utils.run_files import check_checkpoint
from stpredict.utils.setup_env import register_all_modules
from .export import strip_transfer
from .model_zoo import resolve_model_files


def init_forecaster(config: Optional[Union[str, os.PathLike, Config]],
                    checkpoint: Optional[str] = None,
                    device: Union[str, torch.device] = 'cpu',
                    cfg_options: Optional[dict] = None,
                    keep_transfer: bool = False) -> torch.nn.Module:
    """Build a model from its config, load its weights and set eval mode.

    The checkpoint is read before the model is built, with mmengine's
    checkpoint loader, which in stpredict is torch's safe loader with an
    allow-list (:mod:`stpredict.utils.checkpoint`): a file that would run
    code when unpickled raises
    :class:`~stpredict.utils.checkpoint.UnsafeCheckpointError` and nothing
    of it is executed. The weights must fit the model exactly (no missing,
    unexpected or mis-shaped tensors); pass the config the checkpoint was
    trained with (the copy that training writes into its work dir includes
    the ``--cfg-options`` of that run).

    **Model zoo.** ``checkpoint='zoo:NAME'`` loads a checkpoint shipped in
    the repository (:mod:`stpredict.apis.model_zoo`, listed in
    ``docs/model_zoo.md``) after checking its SHA-256; with
    ``config=None`` the config is the one of the zoo entry.

    **Transfer-trained checkpoints.** A config with ``model.transfer``
    (finetune, L2-SP, memory transfer, knowledge flow) names source models
    that only training needs. By default the transfer is dropped as in
    :func:`~stpredict.apis.export_target`: the model is built from the
    config without ``transfer`` and the checkpoint's ``transfer.*`` tensors
    are left out, so no source checkpoint has to exist (the source configs
    must, to build the method and ask it). Before that the method says,
    with the state it saved, whether the student still needs its sources
    at test time (its ``needed_at_test``: e.g. knowledge flow before its
    curriculum has ended); such a checkpoint is refused with an
    explanation unless ``keep_transfer=True`` (which builds the whole
    model, sources included).

    **Frame size.** The trained frames' size and channels are read from the
    checkpoint's ``meta['frames']`` (saved by
    :class:`~stpredict.engine.hooks.FrameMetaHook`) into
    ``model.frames_meta``; for older checkpoints the config's dataset
    gives it (:func:`config_frame_size`), and a message says so.

    Args:
        config (str | os.PathLike | Config, optional): The config file or
            object; None with a ``zoo:NAME`` checkpoint takes the zoo
            entry's config.
        checkpoint (str, optional): The checkpoint file, or ``zoo:NAME``.
            None keeps the random initial weights (with a warning).
            Defaults to None.
        device (str | torch.device): Where the model runs, e.g. ``'cpu'``
            or ``'cuda:0'``. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config, as
            ``--cfg-options`` does (``{'model.neck.hidden_channels': 8}``).
            Defaults to None.
        keep_transfer (bool): Keep ``model.transfer`` (and its source
            models). Defaults to False.

    Returns:
        RecurrentPredictor: The model in eval mode on ``device``; its merged
        config (without ``transfer`` unless kept) is ``model.cfg``.
    """
    register_all_modules(init_default_scope=False)
    register_safe_checkpoint_loader()
    config, checkpoint = resolve_model_files(config, checkpoint)
    if isinstance(config, (str, os.PathLike)):
        config_path = os.fspath(config)
        if not osp.isfile(config_path):
            raise FileNotFoundError(
                f'Config file "{config_path}" does not exist. Give the config '
                'the model was trained with, e.g. the copy in its work dir '
                '(WORK_DIR/<config name>.py).')
        cfg = Config.fromfile(config_path)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file path or an mmengine Config, '
                        f'but got {type(config).__name__}.')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.get('model', None) is None:
        raise ValueError(f'The config {cfg.filename} has no "model".')

    state_dict, meta = None, {}
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
        check_checkpoint(checkpoint)
        loaded = CheckpointLoader.load_checkpoint(
            checkpoint, map_location='cpu', logger='silent')
        if isinstance(loaded, dict) and isinstance(loaded.get('meta'), dict):
            meta = loaded['meta']
        state_dict = _checkpoint_state_dict(loaded, checkpoint)

    transfer_cfg = cfg.model.get('transfer')
    if transfer_cfg and not keep_transfer:
        _check_transfer_not_needed(cfg, state_dict, checkpoint)
        cfg = strip_transfer(cfg)
        if state_dict is not None:
            state_dict = collections.OrderedDict(
                (key, value) for key, value in state_dict.items()
                if not key.startswith('transfer.'))

    with DefaultScope.overwrite_default_scope('stpredict'):
        model = MODELS.build(cfg.model)
    if state_dict is not None:
        _check_weights_fit(model, state_dict, checkpoint, cfg.filename)
        model.load_state_dict(state_dict, strict=True)
    else:
        warnings.warn('init_forecaster: no checkpoint given, the model keeps '
                      'its random initial weights.')
    model.cfg = cfg
    model.frames_meta = _frames_meta(meta, cfg, checkpoint)
    model.to(device)
    model.eval()
    return model


def _frames_meta(meta: dict, cfg: Config,
                 checkpoint: Optional[str]) -> Optional[dict]:
    """The trained frames' ``height``, ``width`` (and ``channels``): from
    the checkpoint's meta, else (older checkpoints) from the config's
    dataset (:func:`config_frame_size`), with a message."""
    frames = meta.get(FRAME_META_KEY)
    if isinstance(frames, dict) and {'height', 'width'} <= set(frames):
        return dict(frames, source='checkpoint')
    size = config_frame_size(cfg)
    where = (f'checkpoint "{checkpoint}"' if checkpoint is not None else
             'a model without checkpoint')
    if size is None:
        print_log(
            f'init_forecaster: {where} does not record its frame size and '
            'the config\'s dataset fixes none, so the frame size '
            'of forecasts is not checked (only that the patch size divides '
            'it). Checkpoints saved with FrameMetaHook (in '
            'configs/_base_/default_runtime.py) record it.',
            logger='current')
        return None
    print_log(
        f'init_forecaster: {where} does not record its frame size; '
        f'{size[0]}x{size[1]} is taken from the config\'s dataset (its '
        'image_size, or the dataset\'s default).', logger='current')
    return dict(height=size[0], width=size[1], source='config')


def _config_image_size(cfg: Config) -> Optional[Tuple[int, int]]:
    """The ``image_size`` of the test (else val, else train) dataset."""
    for name in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = _config_dataset(cfg, name)
        if dataset is not None and dataset.get('image_size'):
            return parse_image_size(dataset['image_size'])
    return None


def _config_dataset(cfg: Config, loader_name: str) -> Optional[dict]:
    """The dataset dict of a data loader (inside dataset wrappers)."""
    loader = cfg.get(loader_name, None)
    dataset = loader.get('dataset') if isinstance(loader, dict) else None
    while isinstance(dataset, dict) and isinstance(
            dataset.get('dataset'), dict):  # dataset wrappers
        dataset = dataset['dataset']
    return dataset if isinstance(dataset, dict) else None


def _checkpoint_state_dict(checkpoint: Any, filename: str) -> dict:
    """The weights of a loaded checkpoint, without DDP's ``module.``."""
    if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
        checkpoint = checkpoint['state_dict']
    if not isinstance(checkpoint, dict) or not all(
            isinstance(value, torch.Tensor) for value in checkpoint.values()):
        raise ValueError(
            f'Checkpoint "{filename}" holds no state_dict of tensors. Give a '
            'checkpoint written by tools/train.py or export_target.py.')
    return collections.OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in checkpoint.items())


def _check_transfer_not_needed(cfg: Config, state_dict: Optional[dict],
                               checkpoint: Optional[str]) -> None:
    """Refuse to drop a transfer method that the trained student still
    needs at test time.

    The method is asked itself (its ``needed_at_test``), with the state it
    saved in the checkpoint (e.g. knowledge flow's training progress):
    the whole model is built from the config, which builds the source
    models' architectures from their configs but reads no source
    checkpoint.
    """
    if state_dict is None:
        return
    with DefaultScope.overwrite_default_scope('stpredict'):
        full = MODELS.build(cfg.model)
    transfer = getattr(full, 'transfer', None)
    if transfer is None:
        return
    own = transfer.state_dict()
    saved = {
        key[len('transfer.'):]: value
        for key, value in state_dict.items() if key.startswith('transfer.')
    }
    transfer.load_state_dict(
        {key: value for key, value in saved.items()
         if key in own and own[key].shape == value.shape}, strict=False)
    if transfer.needed_at_test:
        raise ValueError(
            f'Checkpoint "{checkpoint}" was trained with '
            f'{type(transfer).__name__}, and its student still needs the '
            'source models at test time (the method\'s needed_at_test, '
            'e.g. knowledge flow stopped before its curriculum ended). Pass '
            'keep_transfer=True (tools/infer.py --keep-transfer) with the '
            'source checkpoints in place, or use a checkpoint from later in '
            'the run.')


def _check_weights_fit(model: torch.nn.Module, state_dict: dict,
                       checkpoint: str, config: str) -> None:
    """Missing, unexpected and mis-shaped weights, named in one error."""
    own = model.state_dict()
    missing = [key for key in own if key not in state_dict]
    unexpected = [key for key in state_dict if key not in own]
    mismatched = [
        f'{key}: checkpoint {tuple(state_dict[key].shape)} vs model '
        f'{tuple(own[key].shape)}' for key in own
        if key in state_dict and state_dict[key].shape != own[key].shape
    ]
    if missing or unexpected or mismatched:
        problems = []
        for name, keys in (('missing', missing), ('unexpected', unexpected),
                           ('of another shape', mismatched)):
            if keys:
                more = f' (+{len(keys) - 5} more)' if len(keys) > 5 else ''
                problems.append(f'{name}: {keys[:5]}{more}')
        raise ValueError(
            f'The weights of checkpoint "{checkpoint}" do not fit the model '
            f'of config {config} ({"; ".join(problems)}). Give the config it '
            'was trained with: the copy in the training work dir includes '
            'the --cfg-options of that run.')


def model_frame_size(model: torch.nn.Module) -> Optional[Tuple[int, int]]:
    """The ``(height, width)`` of the frames the model was trained on.

    Set by :func:`init_forecaster` from the checkpoint's meta (or, for
    older checkpoints, from the config's dataset).
    None when unknown.

    Args:
        model (nn.Module): A model from :func:`init_forecaster`.

    Returns:
        tuple[int, int] | None: The frame size.
    """
    if hasattr(model, 'frames_meta'):  # a model from init_forecaster
        frames = model.frames_meta
        if not frames:
            return None
        return int(frames['height']), int(frames['width'])
    cfg = getattr(model, 'cfg', None)
    return None if cfg is None else config_frame_size(cfg)


def config_frame_size(cfg: Config) -> Optional[Tuple[int, int]]:
    """The frame size a config's data states, for callers that hold only a
    config (e.g. converting another toolkit's checkpoint): the
    ``image_size`` of its test (else val, else train) dataset, else the
    default ``image_size`` of that dataset class. Models from
    :func:`init_forecaster` use their checkpoint's meta instead.

    Args:
        cfg (Config): A config with data loaders.

    Returns:
        tuple[int, int] | None: The frame size, or None when unknown.
    """
    size = _config_image_size(cfg)
    if size is not None:
        return size
    for name in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = _config_dataset(cfg, name)
        if dataset is None:
            continue
        dataset_type = dataset.get('type')
        try:
            cls = DATASETS.get(dataset_type) if isinstance(
                dataset_type, str) else dataset_type
        except KeyError:  # pragma: no cover - unknown scope
            cls = None
        if not isinstance(cls, type):
            return None
        parameter = inspect.signature(cls.__init__).parameters.get(
            'image_size')
        if parameter is None or parameter.default is inspect.Parameter.empty:
            return None
        return parse_image_size(parameter.default)
    return None
