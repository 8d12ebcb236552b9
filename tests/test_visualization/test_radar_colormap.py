"""The radar palette: documented dBZ levels and colours, pixel conversion."""
import numpy as np
import pytest
import torch

from stpredict.evaluation.functional import PixelConverter
from stpredict.visualization import (RADAR_COLORS, RADAR_DBZ_LEVELS,
                                     RadarColormap, build_colormap, dbz_to_rgb,
                                     prediction_grid)

HKO = dict(type='linear', scale=70.0, offset=-10.0, quantity='dbz')
WHITE = (255, 255, 255)


def test_levels_every_5_dbz_from_15_to_75():
    assert RADAR_DBZ_LEVELS == tuple(float(d) for d in range(15, 80, 5))
    assert len(RADAR_COLORS) == len(RADAR_DBZ_LEVELS)


@pytest.mark.parametrize('dbz, colour', [
    (-10.0, WHITE),  # no echo
    (14.9, WHITE),  # below the first level
    (15.0, (102, 204, 255)),  # light blue
    (22.0, (0, 102, 255)),  # blue
    (30.0, (0, 176, 0)),  # green
    (40.0, (255, 255, 0)),  # yellow
    (57.5, (255, 0, 0)),  # red
    (70.0, (255, 0, 255)),  # magenta
    (74.99, (255, 0, 255)),
    (75.0, (160, 60, 210)),  # purple, and everything above
    (95.0, (160, 60, 210)),
    (float('nan'), WHITE),
])
def test_known_dbz_gets_the_documented_colour(dbz, colour):
    assert tuple(dbz_to_rgb(np.array([dbz]))[0]) == colour


def test_pixels_are_converted_with_the_dataset_mapping():
    # HKO-7 style: dBZ = 70 p - 10, so p = 50 / 70 is 40 dBZ: yellow
    colormap = build_colormap('radar', pixel_to_value=HKO)
    frames = torch.tensor([0.0, 50 / 70, 1.0]).view(3, 1, 1, 1)
    rgb = colormap(frames)
    assert rgb.shape == (3, 1, 1, 3) and rgb.dtype == np.uint8
    assert [tuple(c) for c in rgb.reshape(3, 3)] == [
        WHITE, (255, 255, 0), (200, 0, 0)]  # -10, 40 and 60 dBZ
    # data in rain rate go through the Z-R relation: 12 mm/h with
    # Marshall-Palmer is 40.3 dBZ (yellow), 0.1 mm/h below 15 dBZ (white)
    rain = dict(type='linear', scale=100.0, offset=0.0, quantity='rain_rate')
    colormap = RadarColormap(rain)
    rates = torch.tensor([0.001, 0.12]).view(2, 1, 1, 1)
    assert PixelConverter(rain, value='rain_rate')(0.12) == pytest.approx(12)
    assert PixelConverter(rain)(0.12) == pytest.approx(40.28, abs=0.01)
    assert [tuple(c) for c in colormap(rates).reshape(2, 3)] == [
        WHITE, (255, 255, 0)]


def test_radar_grid_colours_frames_but_not_the_error():
    colormap = RadarColormap(HKO)
    observed = torch.full((2, 1, 4, 4), 50 / 70)  # 40 dBZ
    truth = torch.zeros(3, 1, 4, 4)
    pred = torch.full((3, 1, 4, 4), 0.5)
    image = prediction_grid(observed, pred, truth, colorize=colormap)
    assert image.shape == (4 * 6 - 2, 3 * 6 - 2, 3)
    assert tuple(image[0, 0]) == (255, 255, 0)
    assert tuple(image[6, 0]) == WHITE  # true frames: -10 dBZ
    assert tuple(image[12, 0]) == (0, 230, 0)  # 0.5 is 25 dBZ
    assert tuple(image[18, 0]) == (128, 128, 128)  # error 0.5 in gray


def test_wrong_colour_map_settings_are_explained():
    with pytest.raises(ValueError, match='needs the meaning of the pixel'):
        build_colormap('radar')
    with pytest.raises(ValueError, match='Unknown colour map'):
        build_colormap('viridis')
    with pytest.raises(ValueError, match='one RGB colour per level'):
        RadarColormap(HKO, levels=(10, 20), colors=[(0, 0, 0)])
    with pytest.raises(ValueError, match='increasing'):
        dbz_to_rgb(np.zeros(2), levels=(20, 10), colors=[(0, 0, 0)] * 2)
