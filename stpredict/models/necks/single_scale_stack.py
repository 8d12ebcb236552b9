"""A stack of recurrent cells at the input's resolution."""
from typing import Optional, Sequence, Union

from stpredict.registry import NECKS
from .base import BaseRecurrentNeck


@NECKS.register_module()
class SingleScaleStack(BaseRecurrentNeck):
    """Layers stacked at one scale: layer ``l`` reads layer ``l-1``'s output.

    This is the classic stacked architecture of ConvLSTM, PredRNN and their
    successors. The zigzag memory ``M`` goes up the layers within a step and
    from the top layer to layer 0 at the next step; the diagonal input of
    layer ``l`` is layer ``l-1``'s output at the previous step.

    Args:
        cell (dict | Sequence[dict]): Cell config(s), see
            :class:`BaseRecurrentNeck`.
        in_channels (int): Channels of the neck's input.
        hidden_channels (int | Sequence[int]): Hidden channels per layer.
            Defaults to 64.
        num_layers (int): Number of layers. Defaults to 4.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 cell: Union[dict, Sequence[dict]],
                 in_channels: int,
                 hidden_channels: Union[int, Sequence[int]] = 64,
                 num_layers: int = 4,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            cell,
            in_channels,
            hidden_channels=hidden_channels,
            num_layers=num_layers,
            init_cfg=init_cfg)
