from .base import BaseRecurrentNeck
from .single_scale_stack import SingleScaleStack

__all__ = ['BaseRecurrentNeck', 'SingleScaleStack']
