"""Draw frame sequences as one picture."""
import math
from typing import Callable, List, Optional, Sequence, Tuple, Union

import cv2
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


#: Width of the margin with the row labels of an annotated grid (pixels;
#: wider when a label needs it).
LABEL_WIDTH = 72
#: Height of a strip of frame captions above a row (pixels).
CAPTION_HEIGHT = 16
#: Height of the title band (pixels).
TITLE_HEIGHT = 20
FONT = cv2.FONT_HERSHEY_SIMPLEX
LABEL_SCALE = 0.4
TITLE_SCALE = 0.45
TEXT_COLOR = (0, 0, 0)
MARGIN_COLOR = 255


def _text_width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def _put_text(image: np.ndarray, text: str, left: int, bottom: int,
              scale: float = LABEL_SCALE) -> None:
    cv2.putText(image, text, (int(left), int(bottom)), FONT, scale,
                TEXT_COLOR, 1, cv2.LINE_AA)


def annotate_grid(grid: np.ndarray,
                  frame_size: Tuple[int, int],
                  row_labels: Sequence[str],
                  captions: Sequence[Optional[Tuple[str, Sequence[str]]]],
                  title: Optional[str] = None,
                  gap: int = 2) -> np.ndarray:
    """Add row labels, frame captions and a title to a frame grid.

    The grid of :func:`sequence_grid` gets a white margin on the left with
    the label of each row (``LABEL_WIDTH`` pixels, wider when a label needs
    it), a strip of captions (``CAPTION_HEIGHT`` pixels) above each row that
    has them, one caption centred over each frame (every k-th frame when
    captions are wider than the frames), and a title band
    (``TITLE_HEIGHT`` pixels) on top.

    Args:
        grid (np.ndarray): uint8 RGB grid ``[H_total, W_total, 3]`` of rows
            of frames of ``frame_size``, ``gap`` pixels apart.
        frame_size (tuple[int, int]): Height and width of one frame.
        row_labels (Sequence[str]): One label per row of the grid.
        captions (Sequence): Per row, None (no strip) or ``(name,
            captions)``: the strip's label in the margin (e.g. ``'frame'``)
            and one caption per frame of the row.
        title (str, optional): Text of the title band. Defaults to None (no
            band).
        gap (int): Pixels between frames in the grid. Defaults to 2.

    Returns:
        np.ndarray: The annotated uint8 RGB picture.

    Raises:
        ValueError: If the labels do not match the rows of the grid.
    """
    height, width = frame_size
    rows = (grid.shape[0] + gap) // (height + gap)
    if rows * (height + gap) - gap != grid.shape[0]:
        raise ValueError(f'annotate_grid: a grid {grid.shape[0]} pixels high '
                         f'is not made of rows of {height}-pixel frames '
                         f'{gap} pixels apart.')
    if len(row_labels) != rows or len(captions) != rows:
        raise ValueError(f'annotate_grid: the grid has {rows} rows but got '
                         f'{len(row_labels)} row labels and {len(captions)} '
                         'caption rows.')
    names = list(row_labels) + [c[0] for c in captions if c is not None]
    margin = max([LABEL_WIDTH] + [_text_width(n, LABEL_SCALE) + 8
                                  for n in names])
    pitch = width + gap
    parts = []
    for row in range(rows):
        if captions[row] is not None:
            name, texts = captions[row]
            strip = np.full((CAPTION_HEIGHT, grid.shape[1], 3), MARGIN_COLOR,
                            np.uint8)
            widest = max([_text_width(t, LABEL_SCALE) for t in texts] + [1])
            every = max(1, math.ceil((widest + 4) / pitch))
            for col, text in enumerate(texts):
                if col % every:
                    continue
                text_width = _text_width(text, LABEL_SCALE)
                left = col * pitch + (width - text_width) / 2
                left = min(left, grid.shape[1] - text_width)  # not clipped
                _put_text(strip, text, max(0, left), CAPTION_HEIGHT - 4)
            band = np.full((CAPTION_HEIGHT, margin, 3), MARGIN_COLOR,
                           np.uint8)
            _put_text(band, name, 4, CAPTION_HEIGHT - 4)
            parts.append(np.concatenate([band, strip], axis=1))
        top = row * pitch
        # the gap under a row stays with it (none under the last)
        cells = grid[top:top + height + (gap if row < rows - 1 else 0)]
        band = np.full((cells.shape[0], margin, 3), MARGIN_COLOR, np.uint8)
        _put_text(band, row_labels[row], 4, height / 2 + 4)
        parts.append(np.concatenate([band, cells], axis=1))
    return add_title(np.concatenate(parts, axis=0), title)


def add_title(picture: np.ndarray, title: Optional[str]) -> np.ndarray:
    """Put a white band ``TITLE_HEIGHT`` pixels high with ``title`` on top.

    The text shrinks to fit the width. Without a title the picture is
    returned as it is.

    Args:
        picture (np.ndarray): uint8 RGB picture.
        title (str, optional): The title.

    Returns:
        np.ndarray: The picture with its title.
    """
    if not title:
        return np.ascontiguousarray(picture)
    band = np.full((TITLE_HEIGHT, picture.shape[1], 3), MARGIN_COLOR,
                   np.uint8)
    scale = TITLE_SCALE
    while scale > 0.25 and _text_width(title, scale) > band.shape[1] - 8:
        scale -= 0.05
    _put_text(band, title, 4, TITLE_HEIGHT - 6, scale)
    return np.ascontiguousarray(np.concatenate([band, picture], axis=0))


def lead_time_captions(num_frames: int,
                       lead_time_step: float = 1.0,
                       lead_time_unit: str = 'frame'
                       ) -> Tuple[str, List[str]]:
    """The caption strip of future frames: ``('lead time', ['+1', ...])``.

    Args:
        num_frames (int): Future frames.
        lead_time_step (float): Lead time of one frame. Defaults to 1.
        lead_time_unit (str): Its unit; other than ``'frame'`` it is named
            in the strip label (``'lead (min)'``). Defaults to ``'frame'``.

    Returns:
        tuple[str, list[str]]: The strip label and one caption per frame.
    """
    name = 'lead time' if lead_time_unit == 'frame' else \
        f'lead ({lead_time_unit})'
    return name, [f'+{(t + 1) * lead_time_step:g}' for t in range(num_frames)]


def prediction_grid(input_frames: torch.Tensor,
                    pred_frames: torch.Tensor,
                    gt_frames: Optional[torch.Tensor] = None,
                    colorize: Optional[Colorize] = None,
                    labels: bool = False,
                    title: Optional[str] = None,
                    lead_time_step: float = 1.0,
                    lead_time_unit: str = 'frame') -> np.ndarray:
    """The standard picture of one forecast.

    Rows: observed frames; true future frames; predicted frames; absolute
    error (the true frames and the error only when ``gt_frames`` is given).
    With ``T_in`` observed and ``T_out`` predicted frames of ``H x W`` the
    bare picture is ``4 * (H + 2) - 2`` pixels high (``2 * (H + 2) - 2``
    without true frames) and ``max(T_in, T_out) * (W + 2) - 2`` wide.

    With ``labels=True`` the rows are labelled (``observed``, ``truth``,
    ``prediction``, ``error``) in a margin ``LABEL_WIDTH`` (72) pixels wide,
    the observed frames are numbered (``1 .. T_in``, strip ``frame``) and
    the future frames carry their lead time (``+1 .. +T_out`` in units of
    ``lead_time_step``, strip ``lead time``): two caption strips of
    ``CAPTION_HEIGHT`` (16) pixels. A ``title`` adds a band of
    ``TITLE_HEIGHT`` (20) pixels on top. See :func:`annotate_grid`.

    Args:
        input_frames (torch.Tensor): Observed frames ``[T_in, C, H, W]``.
        pred_frames (torch.Tensor): Predicted frames ``[T_out, C, H, W]``.
        gt_frames (torch.Tensor, optional): True future frames.
        colorize (Callable, optional): Colours the observed, true and
            predicted frames (e.g. the radar palette); the absolute error is
            always drawn in gray (black: no error, white: error 1). Defaults
            to None (gray, or RGB for three channels).
        labels (bool): Label rows and frames. Defaults to False.
        title (str, optional): Title over the picture. Defaults to None.
        lead_time_step (float): Lead time of one future frame, for the
            captions. Defaults to 1.
        lead_time_unit (str): Unit of the lead time. Defaults to
            ``'frame'``.

    Returns:
        np.ndarray: uint8 RGB image.
    """
    error = None
    if gt_frames is not None:
        error = frames_to_rgb((pred_frames.float() - gt_frames.float()).abs())
    grid = sequence_grid([input_frames, gt_frames, pred_frames, error],
                         colorize=colorize)
    if not labels:
        return add_title(grid, title)
    future = lead_time_captions(pred_frames.shape[0], lead_time_step,
                                lead_time_unit)
    observed = ('frame', [str(t + 1) for t in range(input_frames.shape[0])])
    if gt_frames is not None:
        row_labels = ['observed', 'truth', 'prediction', 'error']
        captions = [observed, future, None, None]
    else:
        row_labels = ['observed', 'prediction']
        captions = [observed, future]
    return annotate_grid(grid, tuple(input_frames.shape[-2:]), row_labels,
                         captions, title=title)
