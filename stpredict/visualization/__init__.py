from .colormaps import (RADAR_BACKGROUND, RADAR_COLORS, RADAR_DBZ_LEVELS,
                        RadarColormap, build_colormap, choose_colormap,
                        dbz_to_rgb)
from .frame_grid import (CAPTION_HEIGHT, LABEL_WIDTH, TITLE_HEIGHT,
                         add_title, annotate_grid, frames_to_rgb,
                         lead_time_captions, prediction_grid, sequence_grid)
from .metric_curves import (collect_curves, curves_figure_size,
                            lead_time_label, plot_metric_curves)

__all__ = [
    'frames_to_rgb', 'prediction_grid', 'sequence_grid', 'RADAR_BACKGROUND',
    'RADAR_COLORS', 'RADAR_DBZ_LEVELS', 'RadarColormap', 'build_colormap',
    'choose_colormap', 'dbz_to_rgb', 'collect_curves', 'curves_figure_size',
    'plot_metric_curves', 'CAPTION_HEIGHT', 'LABEL_WIDTH', 'TITLE_HEIGHT',
    'add_title', 'annotate_grid', 'lead_time_captions', 'lead_time_label'
]
