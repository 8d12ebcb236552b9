from .base import BaseRecurrentNeck
from .multi_scale_pyramid import MultiScalePyramid, mirror_pyramid_scales
from .single_scale_stack import SingleScaleStack

__all__ = [
    'BaseRecurrentNeck', 'MultiScalePyramid', 'SingleScaleStack',
    'mirror_pyramid_scales'
]
