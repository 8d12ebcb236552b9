"""Colour maps for frames: gray and the radar precipitation palette.

**Radar palette.** Radar frames are coloured by reflectivity in dBZ with the
discrete levels of :data:`RADAR_DBZ_LEVELS`, every 5 dBZ from 15 to 75 dBZ.
A pixel of ``v`` dBZ gets the colour of the highest level ``<= v``; pixels
below 15 dBZ (no or negligible rain) get the background colour (white by
default). The colours run from light blue through green, yellow, orange and
red to magenta and purple:

======  ==============  ===============  ================
level   colour          RGB              rain rate (M-P)
======  ==============  ===============  ================
15 dBZ  light blue      (102, 204, 255)  0.3 mm/h
20 dBZ  blue            (0, 102, 255)    0.65 mm/h
25 dBZ  light green     (0, 230, 0)      1.3 mm/h
30 dBZ  green           (0, 176, 0)      2.7 mm/h
35 dBZ  dark green      (0, 120, 0)      5.6 mm/h
40 dBZ  yellow          (255, 255, 0)    11.5 mm/h
45 dBZ  gold            (230, 190, 0)    23.7 mm/h
50 dBZ  orange          (255, 140, 0)    48.6 mm/h
55 dBZ  red             (255, 0, 0)      100 mm/h
60 dBZ  dark red        (200, 0, 0)      205 mm/h
65 dBZ  maroon          (150, 0, 0)      421 mm/h
70 dBZ  magenta         (255, 0, 255)    865 mm/h
75 dBZ  purple          (160, 60, 210)   1776 mm/h
======  ==============  ===============  ================

(The rain rates are those of the Marshall-Palmer relation ``Z = 200
R**1.6``, for orientation; above about 55 dBZ echoes are usually hail.)

**Pixels to dBZ.** Frames are values ``p`` in ``[0, 1]`` (pixel / 255) whose
physical meaning is the dataset's ``value_transform`` (e.g. ``dict(type=
'linear', scale=70.0, offset=-10.0, quantity='dbz')``: ``dBZ = 70 p - 10``),
the ``pixel_to_value`` spec of
:class:`~stpredict.evaluation.functional.PixelConverter`, which does the
conversion; data in rain rate (``quantity='rain_rate'``) go to dBZ through
the Z-R relation ``zr_relation`` (Marshall-Palmer by default).
"""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from stpredict.evaluation.functional.radar_conversion import PixelConverter

#: Lower bounds (dBZ) of the colour bands of the radar palette.
RADAR_DBZ_LEVELS: Tuple[float, ...] = tuple(
    float(level) for level in range(15, 80, 5))
#: RGB colour of each band of :data:`RADAR_DBZ_LEVELS` (same order).
RADAR_COLORS: Tuple[Tuple[int, int, int], ...] = (
    (102, 204, 255),  # 15 dBZ light blue
    (0, 102, 255),  # 20 dBZ blue
    (0, 230, 0),  # 25 dBZ light green
    (0, 176, 0),  # 30 dBZ green
    (0, 120, 0),  # 35 dBZ dark green
    (255, 255, 0),  # 40 dBZ yellow
    (230, 190, 0),  # 45 dBZ gold
    (255, 140, 0),  # 50 dBZ orange
    (255, 0, 0),  # 55 dBZ red
    (200, 0, 0),  # 60 dBZ dark red
    (150, 0, 0),  # 65 dBZ maroon
    (255, 0, 255),  # 70 dBZ magenta
    (160, 60, 210),  # 75 dBZ and above purple
)
#: Colour of pixels below the first level (no rain): white.
RADAR_BACKGROUND: Tuple[int, int, int] = (255, 255, 255)
#: Names accepted by :func:`build_colormap`.
COLORMAP_NAMES = ('gray', 'radar')
#: Names accepted by :func:`choose_colormap` (``'auto'``: radar when the
#: pixel meaning is known).
AUTO_COLORMAP_NAMES = ('auto', ) + COLORMAP_NAMES


def dbz_to_rgb(dbz: np.ndarray,
               levels: Sequence[float] = RADAR_DBZ_LEVELS,
               colors: Sequence[Sequence[int]] = RADAR_COLORS,
               background: Sequence[int] = RADAR_BACKGROUND) -> np.ndarray:
    """Colour reflectivity values with a discrete palette.

    Args:
        dbz (np.ndarray): Reflectivity in dBZ, any shape (NaN counts as no
            echo).
        levels (Sequence[float]): Increasing lower bounds of the colour
            bands. Defaults to :data:`RADAR_DBZ_LEVELS`.
        colors (Sequence[Sequence[int]]): One RGB colour per level. Defaults
            to :data:`RADAR_COLORS`.
        background (Sequence[int]): RGB colour below the first level.
            Defaults to white.

    Returns:
        np.ndarray: uint8 RGB, shape ``dbz.shape + (3, )``.
    """
    levels = np.asarray(levels, dtype=np.float64)
    if levels.ndim != 1 or len(levels) == 0 or np.any(np.diff(levels) <= 0):
        raise ValueError('Radar colour levels must be a non-empty, strictly '
                         f'increasing sequence of dBZ values, got {levels}.')
    palette = np.asarray([tuple(background)] + [tuple(c) for c in colors])
    if palette.shape != (len(levels) + 1, 3):
        raise ValueError(f'Give one RGB colour per level: {len(levels)} '
                         f'levels but {len(colors)} colours.')
    dbz = np.nan_to_num(np.asarray(dbz, dtype=np.float64), nan=-np.inf)
    # band 0 is the background, band k the colour of levels[k - 1]
    bands = np.digitize(dbz, levels, right=False)
    return palette.astype(np.uint8)[bands]


class RadarColormap:
    """Colours radar frames (values in ``[0, 1]``) by reflectivity.

    Args:
        pixel_to_value (dict): The dataset's ``value_transform``, e.g.
            ``dict(type='linear', scale=70.0, offset=-10.0, quantity='dbz')``
            (see :class:`~stpredict.evaluation.functional.PixelConverter`).
        zr_relation (dict, optional): ``dict(a=..., b=...)`` of ``Z = a *
            R**b`` for data in rain rate. Defaults to None (Marshall-Palmer).
        levels (Sequence[float]): Lower bounds (dBZ) of the colour bands.
            Defaults to :data:`RADAR_DBZ_LEVELS`.
        colors (Sequence[Sequence[int]]): RGB colour of each band. Defaults
            to :data:`RADAR_COLORS`.
        background (Sequence[int]): RGB colour below the first level.
            Defaults to white.
    """

    def __init__(self,
                 pixel_to_value: dict,
                 zr_relation: Optional[dict] = None,
                 levels: Sequence[float] = RADAR_DBZ_LEVELS,
                 colors: Sequence[Sequence[int]] = RADAR_COLORS,
                 background: Sequence[int] = RADAR_BACKGROUND) -> None:
        self.converter = PixelConverter(
            pixel_to_value, value='dbz', zr_relation=zr_relation)
        self.levels = tuple(levels)
        self.colors = tuple(tuple(c) for c in colors)
        self.background = tuple(background)
        # fail now, not at the first picture
        dbz_to_rgb(np.zeros(1), self.levels, self.colors, self.background)

    def __call__(self, frames: torch.Tensor) -> np.ndarray:
        """Colour frames ``[T, C, H, W]`` (first channel) in ``[0, 1]``.

        Returns:
            np.ndarray: uint8 RGB frames ``[T, H, W, 3]``.
        """
        if frames.dim() != 4:
            raise ValueError('Expected frames [T, C, H, W], got shape '
                             f'{tuple(frames.shape)}.')
        pixels = frames[:, 0].detach().double().clamp(0, 1).cpu().numpy()
        return dbz_to_rgb(self.converter(pixels), self.levels, self.colors,
                          self.background)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}({self.converter!r}, '
                f'levels={self.levels})')


def build_colormap(cmap: Optional[str],
                   pixel_to_value: Optional[dict] = None,
                   zr_relation: Optional[dict] = None):
    """The colouring function for a colour-map name.

    Args:
        cmap (str, optional): ``'gray'`` (or None: gray for one channel, RGB
            for three) or ``'radar'``.
        pixel_to_value (dict, optional): The pixel -> physical value spec;
            required for ``'radar'``.
        zr_relation (dict, optional): Z-R relation for rain-rate data.

    Returns:
        Callable | None: None for gray (the default colouring of
        :func:`~stpredict.visualization.frames_to_rgb`), else a callable
        ``frames [T, C, H, W] -> uint8 [T, H, W, 3]``.
    """
    if cmap is None or cmap == 'gray':
        return None
    if cmap != 'radar':
        raise ValueError(f'Unknown colour map {cmap!r}; choose one of '
                         f'{COLORMAP_NAMES}.')
    if pixel_to_value is None:
        raise ValueError(
            "The 'radar' colour map needs the meaning of the pixel values: "
            "give pixel_to_value=dict(type='linear', scale=70.0, "
            "offset=-10.0, quantity='dbz') (the dataset's value_transform), "
            'or use a dataset that stores value_transform in its samples '
            '(RadarEcho with value_transform set).')
    return RadarColormap(pixel_to_value, zr_relation=zr_relation)


def choose_colormap(cmap: str = 'auto',
                    pixel_to_value: Optional[dict] = None,
                    zr_relation: Optional[dict] = None,
                    value_transform: Optional[dict] = None):
    """The colouring of one sequence from a colour-map choice.

    Args:
        cmap (str): ``'gray'``; ``'radar'`` (needs ``pixel_to_value`` or
            ``value_transform``); ``'auto'``: radar when either is given,
            gray otherwise. Defaults to ``'auto'``.
        pixel_to_value (dict, optional): Pixel meaning set by the user; wins
            over ``value_transform``.
        zr_relation (dict, optional): Z-R relation for rain-rate data.
        value_transform (dict, optional): Pixel meaning stored by the dataset
            in the sample's metainfo (``RadarEcho``).

    Returns:
        RadarColormap | None: None for gray.
    """
    if cmap not in AUTO_COLORMAP_NAMES:
        raise ValueError(f'Unknown colour map {cmap!r}; choose one of '
                         f'{AUTO_COLORMAP_NAMES}.')
    spec = pixel_to_value if pixel_to_value is not None else value_transform
    if cmap == 'gray' or (cmap == 'auto' and spec is None):
        return None
    return build_colormap('radar', spec, zr_relation)
