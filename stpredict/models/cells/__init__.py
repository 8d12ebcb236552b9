"""Recurrent cells. Every module of this package registers its cells."""
import importlib
import pkgutil

from .base import BaseCell
from .convlstm import ConvLSTMCell
from .norms import SpatialLayerNorm, build_cell_norm

# Import every cell module so that all cells are registered in CELLS.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f'{__name__}.{_module.name}')

__all__ = ['BaseCell', 'ConvLSTMCell', 'SpatialLayerNorm', 'build_cell_norm']
