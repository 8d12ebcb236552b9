from .base import BaseCell
from .convlstm import ConvLSTMCell
from .norms import SpatialLayerNorm, build_cell_norm

__all__ = ['BaseCell', 'ConvLSTMCell', 'SpatialLayerNorm', 'build_cell_norm']
