"""Reusable layers and ops of the models.

Importing this package also registers the plain torch layers that configs
name (``Conv2d``, ``Identity``; see :mod:`.torch_layers`).
"""
from . import torch_layers  # noqa: F401  (registers Conv2d / Identity)
from .local_attention import (SpatialLocalAttention, check_window_size,
                              local_attention)
from .warp import (bilinear_sample, flow_warp, neighbourhood_offsets,
                   neighbourhood_warp)

__all__ = [
    'SpatialLocalAttention', 'bilinear_sample', 'check_window_size',
    'flow_warp', 'local_attention', 'neighbourhood_offsets',
    'neighbourhood_warp'
]
