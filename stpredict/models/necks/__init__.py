from .base import BaseRecurrentNeck
from .layer_context import LayerContext
from .multi_scale_pyramid import MultiScalePyramid, mirror_pyramid_scales
from .single_scale_stack import SingleScaleStack

__all__ = [
    'BaseRecurrentNeck', 'LayerContext', 'MultiScalePyramid',
    'SingleScaleStack',
    'mirror_pyramid_scales'
]
