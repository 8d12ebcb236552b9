"""Building the stem, neck and head of a predictor: from a config dict or
taken built, with the channels they must have filled in or checked."""
import copy
from typing import Any, Dict, Optional, Tuple, Union

import torch.nn as nn

from stpredict.registry import MODELS, NECKS
from ..necks.base import BaseRecurrentNeck


def build_part(name: str, part: Union[dict, nn.Module], registry: Any,
               channels: Dict[str, int]) -> nn.Module:
    """Build the stem, neck or head from its config, or take a built
    module, with the channels the other parts need.

    A config gets ``channels`` as default arguments (the neck: always,
    a different value of its own is an error); a built module must
    already have them, where it names them.

    Args:
        name (str): ``'stem'``, ``'neck'`` or ``'head'``.
        part (dict | nn.Module): Its config or the module.
        registry (Registry): Where its config's ``type`` is looked up.
        channels (dict[str, int]): ``in_channels`` (and, for the head,
            ``out_channels``) that the part must have.

    Returns:
        nn.Module: The part.
    """
    if isinstance(part, nn.Module):
        for key, value in channels.items():
            own = getattr(part, key, None)
            if isinstance(own, int) and own != value:
                raise ValueError(
                    f'RecurrentPredictor: the built {name} '
                    f'{type(part).__name__} has {key}={own}, but the '
                    f'model needs {value} there. Build it with '
                    f'{key}={value}, or give its config dict and the '
                    'model fills the channels in.')
        return part
    if not isinstance(part, dict):
        raise TypeError(
            f'RecurrentPredictor: {name} must be a config dict with a '
            f"'type' or a built nn.Module, got {type(part).__name__}.")
    cfg = copy.deepcopy(part)
    if name == 'neck':
        given = cfg.get('in_channels', channels['in_channels'])
        if given != channels['in_channels']:
            raise ValueError(
                f'RecurrentPredictor: model.neck.in_channels={given!r}, '
                "but the neck reads the stem's output (or, without a "
                'stem, the patched frame): '
                f"{channels['in_channels']} channels. Remove "
                'neck.in_channels; set the stem\'s out_channels (or '
                'model.in_channels and the patch size) instead.')
        cfg.update(channels)
        return registry.build(cfg)
    return registry.build(cfg, default_args=channels)


def build_parts(stem: Optional[Union[dict, nn.Module]],
                neck: Union[dict, nn.Module], head: Union[dict, nn.Module],
                frame_channels: int) -> Tuple[nn.Module, nn.Module, nn.Module]:
    """Build a predictor's stem, neck and head, channels filled in.

    The stem reads the (patched) frame of ``frame_channels``; the neck reads
    the stem's ``out_channels`` (the frame without a stem); the head maps
    the neck's ``out_channels`` back to ``frame_channels``.

    Args:
        stem (dict | nn.Module, optional): None for no stem.
        neck (dict | nn.Module): The recurrent neck.
        head (dict | nn.Module): The head.
        frame_channels (int): Channels of a patched frame.

    Returns:
        tuple[nn.Module, nn.Module, nn.Module]: Stem (``nn.Identity`` for
        None), neck and head.
    """
    if stem is None:
        stem_module = nn.Identity()
        neck_in_channels = frame_channels
    else:
        stem_module = build_part('stem', stem, MODELS,
                                 dict(in_channels=frame_channels))
        neck_in_channels = getattr(stem_module, 'out_channels', None)
        if not isinstance(neck_in_channels, int):
            raise TypeError(
                f'RecurrentPredictor: the stem {type(stem_module).__name__}'
                ' has no integer out_channels, which the neck needs as '
                'its in_channels. Give a stem with an out_channels '
                "attribute (e.g. dict(type='Conv2d', out_channels=64, "
                'kernel_size=1)), or set model.stem=None.')
    neck_module = build_part('neck', neck, NECKS,
                             dict(in_channels=neck_in_channels))
    if not isinstance(neck_module, BaseRecurrentNeck):
        raise TypeError(
            f'RecurrentPredictor: the neck {type(neck_module).__name__} is '
            'not a stpredict neck (a subclass of BaseRecurrentNeck, e.g. '
            'SingleScaleStack or MultiScalePyramid).')
    head_module = build_part(
        'head', head, MODELS,
        dict(in_channels=neck_module.out_channels,
             out_channels=frame_channels))
    return stem_module, neck_module, head_module
