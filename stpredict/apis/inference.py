"""Load a trained model and forecast from frames (arrays, images, videos).

The two entry points are :func:`init_forecaster` (config + checkpoint ->
model in eval mode, :mod:`.forecaster`, importable from here too) and
:func:`forecast` (observed frames -> predicted frames). Layouts, channel
and dtype conversions live in :mod:`.frame_layouts`, reading files in
:mod:`stpredict.fileio`. :func:`read_frames`, :func:`check_layout` and
:func:`observed_frames` are the steps in between, public so that tools can
show the observed frames next to the forecast.

Arrays are read in one stated layout, ``layout='THWC'`` by default (one
sequence of frames with the channel axis last, as images, videos and the
datasets give them); nothing is guessed from the shape. The frame size and
channels a model was trained on come from its checkpoint's meta (written by
:class:`~stpredict.engine.hooks.FrameMetaHook`).
"""
import contextlib
import os
import os.path as osp
from typing import Any, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from stpredict.fileio import (IMAGE_EXTENSIONS, check_take, read_image_folder,
                              read_video)
from .forecaster import config_frame_size, init_forecaster, model_frame_size
from .frame_layouts import (DEFAULT_LAYOUT, LAYOUTS, as_frame_tensor,
                            check_layout, convert_channels, to_btchw,
                            to_layout)

FramesLike = Union[np.ndarray, torch.Tensor, Sequence[np.ndarray], str,
                   os.PathLike]


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
    tensor = as_frame_tensor(frames)
    check_layout(tensor.shape, layout, channels)
    batch = to_btchw(tensor, layout)
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
    batch = convert_channels(batch, channels)
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
