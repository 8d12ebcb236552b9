"""Draw frame sequences as one picture."""
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch

#: Turns float frames ``[T, C, H, W]`` in ``[0, 1]`` into uint8 RGB frames
#: ``[T, H, W, 3]`` (e.g. a :class:`~stpredict.visualization.RadarColormap`).
Colorize = Callable[[torch.Tensor], np.ndarray]


def frames_to_rgb(frames: torch.Tensor) -> np.ndarray:
    """Float frames ``[T, C, H, W]`` in ``[0, 1]`` to uint8 RGB frames.

    One channel is shown as gray, three as RGB; any other count shows its
    first channel as gray.

    Args:
        frames (torch.Tensor): Frames in ``[0, 1]``.

    Returns:
        np.ndarray: uint8 RGB frames.
    """
    if frames.dim() != 4:
        raise ValueError(
            f'Expected frames [T, C, H, W], got shape {tuple(frames.shape)}.')
    array = frames.detach().float().clamp(0, 1).cpu().numpy()
    array = array.transpose(0, 2, 3, 1)
    if array.shape[-1] != 3:
        array = np.repeat(array[..., :1], 3, axis=-1)
    return (array * 255.0 + 0.5).astype(np.uint8)


def _row_to_rgb(row: Union[torch.Tensor, np.ndarray],
                colorize: Optional[Colorize]) -> np.ndarray:
    """One row of frames as uint8 RGB ``[T, H, W, 3]``."""
    if isinstance(row, np.ndarray):
        if row.dtype != np.uint8 or row.ndim != 4 or row.shape[-1] != 3:
            raise ValueError('A row given as an array must be uint8 RGB '
                             f'frames [T, H, W, 3], got {row.dtype} '
                             f'{row.shape}.')
        return row
    if colorize is None:
        return frames_to_rgb(row)
    return colorize(row)


def sequence_grid(rows: Sequence[Optional[Union[torch.Tensor, np.ndarray]]],
                  gap: int = 2,
                  background: int = 128,
                  colorize: Optional[Colorize] = None) -> np.ndarray:
    """Tile rows of frames into one RGB picture.

    The picture is ``R * (H + gap) - gap`` pixels high and ``T_max * (W +
    gap) - gap`` wide for ``R`` rows of at most ``T_max`` frames of ``H x
    W``.

    Args:
        rows (Sequence[torch.Tensor | np.ndarray | None]): Each a ``[T, C, H,
            W]`` float tensor in ``[0, 1]`` or already coloured uint8 RGB
            frames ``[T, H, W, 3]`` (rows may differ in ``T``); None rows are
            skipped. All frames must share ``H`` and ``W``.
        gap (int): Pixels between frames. Defaults to 2.
        background (int): Gray level of gaps and empty cells. Defaults to
            128.
        colorize (Callable, optional): Colours the tensor rows (e.g. a
            :class:`~stpredict.visualization.RadarColormap`). Defaults to
            None: :func:`frames_to_rgb` (gray, or RGB for three channels).

    Returns:
        np.ndarray: uint8 RGB image ``[H_total, W_total, 3]``.
    """
    images: List[np.ndarray] = [
        _row_to_rgb(row, colorize) for row in rows if row is not None
    ]
    if not images:
        raise ValueError('sequence_grid needs at least one row of frames.')
    sizes = {img.shape[1:3] for img in images}
    if len(sizes) > 1:
        raise ValueError(f'All rows must have the same frame size, got '
                         f'{sorted(sizes)}.')
    height, width = images[0].shape[1:3]
    columns = max(img.shape[0] for img in images)
    canvas = np.full((len(images) * (height + gap) - gap,
                      columns * (width + gap) - gap, 3),
                     background,
                     dtype=np.uint8)
    for row, img in enumerate(images):
        top = row * (height + gap)
        for col, frame in enumerate(img):
            left = col * (width + gap)
            canvas[top:top + height, left:left + width] = frame
    return canvas


def prediction_grid(input_frames: torch.Tensor,
                    pred_frames: torch.Tensor,
                    gt_frames: Optional[torch.Tensor] = None,
                    colorize: Optional[Colorize] = None) -> np.ndarray:
    """The standard picture of one forecast.

    Rows: observed frames; true future frames; predicted frames; absolute
    error (the true frames and the error only when ``gt_frames`` is given).
    With ``T_in`` observed and ``T_out`` predicted frames of ``H x W`` the
    picture is ``4 * (H + 2) - 2`` pixels high (``2 * (H + 2) - 2`` without
    true frames) and ``max(T_in, T_out) * (W + 2) - 2`` wide.

    Args:
        input_frames (torch.Tensor): Observed frames ``[T_in, C, H, W]``.
        pred_frames (torch.Tensor): Predicted frames ``[T_out, C, H, W]``.
        gt_frames (torch.Tensor, optional): True future frames.
        colorize (Callable, optional): Colours the observed, true and
            predicted frames (e.g. the radar palette); the absolute error is
            always drawn in gray (black: no error, white: error 1). Defaults
            to None (gray, or RGB for three channels).

    Returns:
        np.ndarray: uint8 RGB image.
    """
    error = None
    if gt_frames is not None:
        error = frames_to_rgb((pred_frames.float() - gt_frames.float()).abs())
    return sequence_grid([input_frames, gt_frames, pred_frames, error],
                         colorize=colorize)
