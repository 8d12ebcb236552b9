from .frame_grid import frames_to_rgb, prediction_grid, sequence_grid

__all__ = ['frames_to_rgb', 'prediction_grid', 'sequence_grid']
