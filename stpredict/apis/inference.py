"""Load a trained model and forecast from frames (arrays, images, videos).

The two entry points are :func:`init_forecaster` (config + checkpoint ->
model in eval mode) and :func:`forecast` (observed frames -> predicted
frames). :func:`read_frames`, :func:`check_layout` and
:func:`observed_frames` are the steps in between, public so that tools can
show the observed frames next to the forecast.

Arrays are read in one stated layout, ``layout='THWC'`` by default (one
sequence of frames with the channel axis last, as images, videos and the
datasets give them); nothing is guessed from the shape. The frame size and
channels a model was trained on come from its checkpoint's meta (written by
:class:`~stpredict.engine.hooks.FrameMetaHook`).
"""
import collections
import contextlib
import copy
import inspect
import os
import os.path as osp
import warnings
from typing import Any, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader

from stpredict.engine.hooks.frame_meta_hook import FRAME_META_KEY
from stpredict.fileio import (IMAGE_EXTENSIONS, check_take, parse_image_size,
                              read_image_folder, read_video)
from stpredict.registry import DATASETS, MODELS
from stpredict.utils.checkpoint import register_safe_checkpoint_loader
from stpredict.utils.run_files import check_checkpoint
from stpredict.utils.setup_env import register_all_modules
from .export import strip_transfer
from .model_zoo import resolve_model_files

#: Frame layouts :func:`forecast` accepts (B: sequences, T: frames,
#: C: channels, H: height, W: width).
LAYOUTS = ('THW', 'THWC', 'TCHW', 'BTHW', 'BTHWC', 'BTCHW')
#: The layout of arrays when none is given: one sequence, channels last.
DEFAULT_LAYOUT = 'THWC'
#: Channel counts that can be converted to a model's channels.
CONVERTIBLE_CHANNELS = (1, 3, 4)
#: Weights of R, G and B in a gray value (ITU-R BT.601, as OpenCV uses).
GRAY_WEIGHTS = (0.299, 0.587, 0.114)

FramesLike = Union[np.ndarray, torch.Tensor, Sequence[np.ndarray], str,
                   os.PathLike]


# ----------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------
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


# ----------------------------------------------------------------------
# reading frames
# ----------------------------------------------------------------------
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


def read_frames(path: Union[str, os.PathLike],
                channels: int = 1,
                num_frames: Optional[int] = None,
                take: str = 'first') -> np.ndarray:
    """Read frames from a ``.npy`` file, a folder of images or a video.

    - ``.npy``: the array as stored (any layout :func:`forecast` accepts).
    - a folder: its images (``.png``, ``.jpg``, ``.bmp``, ``.tif``...),
      sorted by name with numbers in order (``2.png`` before ``10.png``),
      as uint8 ``[T, H, W, C]``.
    - any other file: a video read with OpenCV, as uint8 ``[T, H, W, C]``.

    Images and videos are read as gray (``channels=1``) or RGB
    (``channels=3``).

    Args:
        path (str | os.PathLike): The input.
        channels (int): 1 or 3 (images and videos only). Defaults to 1.
        num_frames (int, optional): Read only this many frames of a folder
            or video (the first or the last ones, see ``take``); fewer is an
            error. None reads all of them. Defaults to None.
        take (str): ``'first'`` or ``'last'``. Defaults to ``'first'``.

    Returns:
        np.ndarray: The frames.
    """
    path = os.fspath(path)
    check_take(take)
    if not osp.exists(path):
        raise FileNotFoundError(
            f'Input "{path}" does not exist. Give a .npy array, a folder of '
            'frame images or a video file.')
    if path.lower().endswith('.npy'):
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise ValueError(
                f'Input "{path}" is not a readable .npy array ({error}). '
                'Save the frames with numpy.save.') from None
    if not osp.isdir(path) and path.lower().endswith(IMAGE_EXTENSIONS):
        raise ValueError(
            f'Input "{path}" is a single image, not a sequence. Put the '
            'observed frames into one folder (sorted by name) and give the '
            'folder.')
    if channels not in (1, 3):
        raise ValueError(
            f'The model takes {channels}-channel frames, which images and '
            'videos cannot give (gray or RGB only). Give the frames as a '
            '.npy array [T, H, W, C].')
    color = 'gray' if channels == 1 else 'rgb'
    needed_for = (f'the model observes T_in={num_frames} frames'
                  if num_frames is not None else '')
    if osp.isdir(path):
        return read_image_folder(path, color, num_frames, take, needed_for)
    return read_video(path, color, num_frames, take, needed_for)


# ----------------------------------------------------------------------
# layouts and channels
# ----------------------------------------------------------------------
def check_layout(shape: Sequence[int],
                 layout: str,
                 channels: int) -> str:
    """Check that an array of ``shape`` can be read in ``layout``.

    Args:
        shape (Sequence[int]): The array's shape.
        layout (str): One of :data:`LAYOUTS`.
        channels (int): The model's channels (a channel axis must hold 1,
            3, 4 or that many).

    Returns:
        str: ``layout``.

    Raises:
        ValueError: Naming the shape, the layout and how to fix it.
    """
    shape = tuple(int(size) for size in shape)
    if layout not in LAYOUTS:
        raise ValueError(
            f'layout must be one of {LAYOUTS} (B: sequences, T: frames, C: '
            f'channels, H: height, W: width), but got {layout!r}.')
    same_rank = [lay for lay in LAYOUTS if len(lay) == len(shape)]
    if len(shape) != len(layout):
        hint = (f'pass one of {same_rank} as layout= (tools/infer.py '
                '--layout)' if same_rank else
                'give one sequence [T, H, W(, C)] or a batch [B, T, ...]')
        raise ValueError(
            f'Frames of shape {shape} have {len(shape)} dimensions, but '
            f'layout {layout!r} has {len(layout)}: {hint}.')
    allowed = sorted(set(CONVERTIBLE_CHANNELS) | {channels})
    if 'C' in layout and shape[layout.index('C')] not in allowed:
        fits = [
            lay for lay in same_rank
            if 'C' not in lay or shape[lay.index('C')] in allowed
        ]
        hint = (f'if the axes are in another order, pass layout= one of '
                f'{fits} (tools/infer.py --layout)' if fits else
                'give frames with that many channels')
        raise ValueError(
            f'Frames of shape {shape} read as {layout!r} have '
            f'{shape[layout.index("C")]} channels, but a channel axis must '
            f'hold one of {allowed} (gray, RGB, RGBA or the model\'s '
            f'{channels}): {hint}.')
    return layout


def _to_btchw(frames: torch.Tensor, layout: str) -> torch.Tensor:
    """Any of :data:`LAYOUTS` to ``[B, T, C, H, W]``."""
    if 'B' not in layout:
        frames, layout = frames.unsqueeze(0), 'B' + layout
    if 'C' not in layout:
        frames, layout = frames.unsqueeze(-1), layout + 'C'
    return frames.permute(*[layout.index(axis) for axis in 'BTCHW'])


def to_layout(frames: torch.Tensor, layout: str) -> torch.Tensor:
    """Frames ``[B, T, C, H, W]`` in ``layout`` (one of :data:`LAYOUTS`).

    A layout without ``B`` takes the only sequence; a layout without ``C``
    drops a single channel and puts several last (``THW`` -> ``THWC``).

    Args:
        frames (torch.Tensor): ``[B, T, C, H, W]``.
        layout (str): The target layout.

    Returns:
        torch.Tensor: A view of ``frames`` in ``layout``.
    """
    target = layout
    if 'C' not in target and frames.shape[2] > 1:
        target += 'C'
    full = target if 'B' in target else 'B' + target
    order = full if 'C' in full else full + 'C'
    frames = frames.permute(*['BTCHW'.index(axis) for axis in order])
    if 'C' not in full:
        frames = frames.squeeze(-1)
    if 'B' not in target:
        frames = frames.squeeze(0)
    return frames


def _convert_channels(frames: torch.Tensor, channels: int) -> torch.Tensor:
    """``[B, T, C, H, W]`` from ``C`` to the model's ``channels``."""
    have = frames.shape[2]
    if have == channels:
        return frames
    if channels == 1 and have in (3, 4):  # RGB(A) -> gray
        weights = torch.tensor(GRAY_WEIGHTS, dtype=torch.float32)
        gray = (frames[:, :, :3].float() * weights.view(1, 1, 3, 1, 1)).sum(
            dim=2, keepdim=True)
        if frames.dtype == torch.uint8:
            return gray.round().clamp(0, 255).to(torch.uint8)
        return gray.clamp(0, 1)
    if channels == 3 and have == 1:  # gray -> RGB
        return frames.expand(-1, -1, 3, -1, -1).contiguous()
    if channels == 3 and have == 4:  # RGBA -> RGB
        return frames[:, :, :3].contiguous()
    raise ValueError(
        f'The frames have {have} channel(s) but the model takes {channels}; '
        'only gray <-> RGB(A) conversions are automatic. Give frames with '
        f'{channels} channel(s).')


def _as_tensor(frames: Any) -> torch.Tensor:
    """An array, tensor or list of frames as a CPU tensor of uint8 or
    float32 (values checked to lie in [0, 1])."""
    if isinstance(frames, torch.Tensor):
        tensor = frames.detach().cpu()
    else:
        if isinstance(frames, (list, tuple)):
            frames = np.stack([np.asarray(frame) for frame in frames])
        array = np.asarray(frames)
        if array.dtype != np.uint8 and array.dtype.kind != 'f':
            raise TypeError(_dtype_help(array.dtype))
        tensor = torch.from_numpy(
            np.ascontiguousarray(array, dtype=None if array.dtype ==
                                 np.uint8 else np.float32))
    if tensor.dtype == torch.uint8:
        return tensor
    if tensor.is_floating_point():
        tensor = tensor.float()
        if tensor.numel():
            low, high = float(tensor.min()), float(tensor.max())
            if not (low >= 0.0 and high <= 1.0):
                raise ValueError(
                    f'Float frames must lie in [0, 1] but lie in [{low}, '
                    f'{high}]. Divide 8-bit values by 255 or give uint8 '
                    'frames.')
        return tensor
    raise TypeError(_dtype_help(tensor.dtype))


def _dtype_help(dtype: Any) -> str:
    return (f'Frames of dtype {dtype} are not supported; give uint8 (0-255) '
            'or float frames in [0, 1] (e.g. frames.astype(np.uint8) for '
            '8-bit values stored as integers).')


def observed_frames(model: torch.nn.Module,
                    frames: FramesLike,
                    layout: str = DEFAULT_LAYOUT,
                    take: str = 'first') -> Tuple[torch.Tensor, str]:
    """The ``T_in`` observed frames that :func:`forecast` feeds the model.

    Args:
        model (nn.Module): A model from :func:`init_forecaster`.
        frames (FramesLike): See :func:`forecast`.
        layout (str, optional): See :func:`forecast`.
        take (str): See :func:`forecast`.

    Returns:
        tuple[torch.Tensor, str]: The frames as a CPU tensor
        ``[B, T_in, C, H, W]`` with the model's channels, uint8 or float32
        as given, and the layout of the input (paths of image folders and
        videos are always read as ``'THWC'``).
    """
    check_take(take)
    t_in = model.input_frames
    channels = model.in_channels
    frame_size = model_frame_size(model)
    if isinstance(frames, (str, os.PathLike)):
        if not os.fspath(frames).lower().endswith('.npy'):
            layout = 'THWC'  # image folders and videos
        frames = read_frames(frames, channels, t_in, take)
    tensor = _as_tensor(frames)
    check_layout(tensor.shape, layout, channels)
    batch = _to_btchw(tensor, layout)
    num = batch.shape[1]
    if num < t_in:
        raise ValueError(
            f'Got {num} frames per sequence (shape {tuple(tensor.shape)}, '
            f'layout {layout}), but the model observes T_in={t_in} frames. '
            f'Give at least {t_in} frames.')
    batch = batch[:, :t_in] if take == 'first' else batch[:, num - t_in:]
    height, width = batch.shape[-2:]
    if frame_size is not None and (height, width) != tuple(frame_size):
        raise ValueError(
            f'The frames are {height}x{width} (HxW), but the model was '
            f'trained on {frame_size[0]}x{frame_size[1]} frames (read as '
            f'{layout!r} from shape {tuple(tensor.shape)}). Resize the frames '
            f'to {frame_size[0]}x{frame_size[1]}, or pass the layout they '
            'have.')
    patch = getattr(model.data_preprocessor, 'patch_size', 1)
    if height % patch or width % patch:
        raise ValueError(
            f'The frames are {height}x{width} (HxW), which the model\'s '
            f'{patch}x{patch} patches do not divide. Resize or crop them to '
            f'multiples of {patch}.')
    batch = _convert_channels(batch, channels)
    return batch.contiguous(), layout


# ----------------------------------------------------------------------
# forecasting
# ----------------------------------------------------------------------
def _check_output_frames(output_frames: Any) -> None:
    if isinstance(output_frames, bool) or not isinstance(
            output_frames, (int, float, np.integer)) or int(
                output_frames) != output_frames or output_frames < 1:
        raise ValueError(f'output_frames must be a positive integer, got '
                         f'{output_frames!r}.')


@contextlib.contextmanager
def forecast_length(model: torch.nn.Module,
                    output_frames: Optional[int]) -> Iterator[int]:
    """Let ``model`` forecast ``output_frames`` frames inside the block.

    The recurrent predictor unrolls ``T_in + model.output_frames - 1``
    steps in ``predict``, feeding on its own predictions after ``T_in``, so
    a longer forecast is the same model with a larger ``output_frames``:
    this sets it for the block and puts the trained value back after it
    (also on errors). Nothing else of the model changes.

    Args:
        model (nn.Module): A model from :func:`init_forecaster`.
        output_frames (int, optional): Frames to forecast. None keeps the
            model's ``T_out``.

    Yields:
        int: The number of frames forecast.

    Raises:
        ValueError: If ``output_frames`` is not a positive integer.
        TypeError: If the model has no ``output_frames`` to change.
    """
    trained = getattr(model, 'output_frames', None)
    if output_frames is None:
        yield trained
        return
    _check_output_frames(output_frames)
    if not isinstance(trained, int):
        raise TypeError(
            f'{type(model).__name__} has no output_frames to change, so '
            'forecast(..., output_frames=N) cannot lengthen its forecast; '
            'use a RecurrentPredictor from init_forecaster.')
    model.output_frames = int(output_frames)
    try:
        yield model.output_frames
    finally:
        model.output_frames = trained


@torch.no_grad()
def forecast(model: torch.nn.Module,
             frames: FramesLike,
             batch_size: Optional[int] = None,
             layout: str = DEFAULT_LAYOUT,
             take: str = 'first',
             output_frames: Optional[int] = None) -> np.ndarray:
    """Predict the ``T_out`` frames that follow ``T_in`` observed frames.

    The model sees only the observed frames (no future frame is given or
    needed). They go through the model's data preprocessor (scaling uint8
    by 255, patching) and ``predict``, exactly as in ``tools/test.py``.

    ``output_frames=N`` forecasts ``N`` frames instead of the ``T_out`` the
    model was trained for, also more: after the observed frames the model
    feeds on its own predictions for as many steps as asked (see
    :func:`forecast_length`). The first ``min(N, T_out)`` frames equal
    those of the plain forecast; frames past ``T_out`` are an
    extrapolation beyond what the model was trained and scored on, and
    usually degrade further.

    Accepted ``frames``:

    - an array or tensor of one sequence ``(T, H, W)``, ``(T, H, W, C)`` or
      ``(T, C, H, W)``, or of a batch ``(B, T, H, W)``, ``(B, T, H, W, C)``
      or ``(B, T, C, H, W)``; uint8 in ``[0, 255]`` or float in ``[0, 1]``.
      The array is read in ``layout``, ``'THWC'`` unless given; a shape
      that does not fit it is an error (see :func:`check_layout`).
    - a path: a ``.npy`` file of such an array, a folder of images or a
      video file (see :func:`read_frames`).

    ``T`` must be at least ``T_in``; with more frames the first ``T_in``
    (``take='first'``) or the last ``T_in`` (``take='last'``) are used.
    Frames must have the size the model was trained on when its checkpoint
    (or, for older checkpoints, its config) states it (nothing is resized)
    and sides that the patch size divides.
    Gray frames are repeated for an RGB model; RGB(A) frames become gray
    (BT.601 weights) for a gray model; other mismatches are an error.

    Args:
        model (nn.Module): A model from :func:`init_forecaster`.
        frames (FramesLike): The observed frames, or where to read them.
        batch_size (int, optional): Sequences per forward pass. None runs
            all at once. Defaults to None.
        layout (str): The layout of an array (or ``.npy`` file) of
            frames, one of :data:`LAYOUTS`. Defaults to ``'THWC'``. Image
            folders and videos are always ``'THWC'``.
        take (str): ``'first'`` or ``'last'``. Defaults to ``'first'``.
        output_frames (int, optional): Frames to forecast. Defaults to None
            (the model's ``T_out``).

    Returns:
        np.ndarray: ``T_out`` (or ``output_frames``) predicted frames per
        sequence in the layout
        of the input (images and videos: ``(T_out, H, W, C)``), with the
        model's channels (a layout without a channel axis gets one, last,
        when the model has several), uint8 when the input was uint8 (or
        read from images or a video), else float32 in ``[0, 1]``.
    """
    if output_frames is not None:
        _check_output_frames(output_frames)
    batch, layout = observed_frames(model, frames, layout, take)
    if batch_size is not None and (int(batch_size) != batch_size
                                   or batch_size < 1):
        raise ValueError(
            f'batch_size must be a positive integer, got {batch_size!r}.')
    step = int(batch_size or batch.shape[0])
    was_training = model.training
    model.eval()
    preds = []
    try:
        with forecast_length(model, output_frames):
            for start in range(0, batch.shape[0], step):
                samples = model.test_step(
                    dict(inputs=batch[start:start + step]))
                preds.append(
                    torch.stack([sample.pred_frames for sample in samples
                                 ]).float().cpu())
    finally:
        model.train(was_training)
    pred = torch.cat(preds)
    if batch.dtype == torch.uint8:
        scale = float(getattr(model.data_preprocessor, 'value_scale', 255.0))
        pred = (pred * scale).round().clamp(0, 255).to(torch.uint8)
    return to_layout(pred, layout).numpy()


__all__ = [
    'LAYOUTS', 'DEFAULT_LAYOUT', 'init_forecaster', 'forecast',
    'forecast_length', 'observed_frames', 'read_frames', 'check_layout',
    'model_frame_size', 'config_frame_size', 'to_layout'
]
