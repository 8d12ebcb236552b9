"""MS-RNN's multi-scale pyramid of recurrent cells."""
from typing import List, Optional, Sequence, Union

from stpredict.registry import NECKS
from .base import BaseRecurrentNeck


def mirror_pyramid_scales(num_layers: int) -> List[int]:
    """MS-RNN's mirror pyramid: halve the resolution going in, double out.

    Layer ``l`` runs at ``1 / 2**min(l, num_layers - 1 - l)``: for 6 layers
    ``[1, 2, 4, 4, 2, 1]`` (H, H/2, H/4, H/4, H/2, H), for 5 layers
    ``[1, 2, 4, 2, 1]``.

    Args:
        num_layers (int): Number of layers.

    Returns:
        list[int]: The down-sampling factor of every layer.
    """
    return [
        2**min(layer, num_layers - 1 - layer) for layer in range(num_layers)
    ]


@NECKS.register_module()
class MultiScalePyramid(BaseRecurrentNeck):
    """MS-RNN (Ma et al.): any recurrent cell in a multi-scale pyramid.

    Layers run at the scales of a mirror pyramid (max pooling by 2 going
    down, bilinear up-sampling by 2 going up); a layer whose input is
    up-sampled also receives the output of the encoder layer at its scale
    (UNet skips). Temporal states stay at their layer's scale; the zigzag
    memory and the diagonal input are resampled like the outputs, without
    skips. Sampling and skips have no parameters, so the model has exactly
    the parameters of the single-scale stack, and for 6 layers 56.25 % fewer
    FLOPs (MS-RNN Eq. 14).

    Args:
        cell (dict | Sequence[dict]): Cell config(s), see
            :class:`BaseRecurrentNeck`.
        in_channels (int): Channels of the neck's input.
        hidden_channels (int | Sequence[int]): Hidden channels per layer.
            Defaults to 64.
        num_layers (int): Number of layers. Defaults to 6.
        scales (Sequence[int], optional): Down-sampling factor of every
            layer; None gives :func:`mirror_pyramid_scales`. Defaults to
            None.
        skip (str): ``'unet'`` (MS-RNN), ``'none'``, ``'unet3+'`` or
            ``'dense'`` (fully connected), see :class:`BaseRecurrentNeck`.
            Defaults to ``'unet'``.
        downsample (str): ``'max'`` or ``'avg'``. Defaults to ``'max'``.
        upsample (str): ``'bilinear'`` or ``'nearest'``. Defaults to
            ``'bilinear'``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 cell: Union[dict, Sequence[dict]],
                 in_channels: int,
                 hidden_channels: Union[int, Sequence[int]] = 64,
                 num_layers: int = 6,
                 scales: Optional[Sequence[int]] = None,
                 skip: str = 'unet',
                 downsample: str = 'max',
                 upsample: str = 'bilinear',
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if scales is None:
            scales = mirror_pyramid_scales(num_layers)
        super().__init__(
            cell,
            in_channels,
            hidden_channels=hidden_channels,
            num_layers=num_layers,
            scales=scales,
            skip=skip,
            downsample=downsample,
            upsample=upsample,
            init_cfg=init_cfg)
