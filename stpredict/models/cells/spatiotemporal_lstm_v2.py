"""ST-LSTM with memory decoupling, the cell of PredRNN-V2 (Wang et al.,
TPAMI 2022)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from stpredict.registry import CELLS
from .base import CellOutput, States
from .spatiotemporal_lstm import SpatioTemporalLSTMCell


def decoupling_loss(delta_c: torch.Tensor,
                    delta_m: torch.Tensor,
                    eps: float = 1e-8) -> torch.Tensor:
    """Mean over batch and channels of ``|cos(delta_c, delta_m)|``.

    The cosine similarity of each channel's map is taken over the spatial
    positions, as in the memory decoupling loss of PredRNN-V2.

    Args:
        delta_c (torch.Tensor): Adapted temporal increment ``[B, C, H, W]``.
        delta_m (torch.Tensor): Adapted spatiotemporal increment, same shape.
        eps (float): Floor of the norms (a zero map has similarity 0).
            Defaults to 1e-8.

    Returns:
        torch.Tensor: A scalar in ``[0, 1]``.
    """
    unit_c = F.normalize(delta_c.flatten(2), dim=2, eps=eps)
    unit_m = F.normalize(delta_m.flatten(2), dim=2, eps=eps)
    return (unit_c * unit_m).sum(dim=2).abs().mean()


@CELLS.register_module()
class SpatioTemporalLSTMv2Cell(SpatioTemporalLSTMCell):
    r"""ST-LSTM with memory decoupling, the cell of PredRNN-V2.

    Wang, Wu, Zhang, Gao, Wang, Yu and Long, "PredRNN: A Recurrent Neural
    Network for Spatiotemporal Predictive Learning", TPAMI 2022.

    The step is the ST-LSTM of :class:`SpatioTemporalLSTMCell`. Memory
    decoupling adds a 1x1 convolution ``W_decouple`` (the adapter, no bias)
    applied to the increments of both memories and a loss that pushes them
    towards orthogonality, channel by channel:

    .. math::
        \Delta C^l_t &= W_{decouple} * (i_t \odot g_t), \quad
        \Delta M^l_t = W_{decouple} * (i'_t \odot g'_t) \\
        \mathcal{L}_{decouple} &= \frac{1}{BC} \sum_{b, c}
            \frac{|\langle \Delta C^l_t, \Delta M^l_t \rangle_{b,c}|}
                 {\|\Delta C^l_t\|_{b,c} \, \|\Delta M^l_t\|_{b,c}}

    with the inner product and norms over the spatial positions of channel
    ``c`` of sample ``b``. The cell returns this per-step, per-layer value as
    the aux entry ``loss_decouple``; the predictor sums it over layers,
    averages it over steps and weights it by
    ``model.aux_loss_weights['loss_decouple']`` (see
    ``configs/predrnn_v2/README.md`` for the weight that matches the
    authors' 0.01).

    Difference from the authors' code: there one adapter is shared by all
    layers. A cell here cannot share a module with the cells of other layers
    (each layer's cell is built on its own), so every layer has its own
    adapter (``hidden^2`` more parameters per extra layer: 20,480 in the
    6 x 64 MS-RNN model, 3.62M instead of the 3.60M of MS-RNN Table 6).

    Reverse scheduled sampling, the other half of PredRNN-V2, is a training
    schedule: ``ScheduledSamplingHook(schedule='reverse')``.

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H``, ``C`` and ``M``.
        kernel_size (int | tuple[int, int]): Kernel of the gate
            convolutions. Defaults to 5.
        bias (bool): Whether the gate convolutions have biases (the adapter
            never has one). Defaults to True.
        forget_bias (float): Constant added to both forget gates. Defaults
            to 1.0 (PredRNN's code).
        spatial_size (Sequence[int], optional): ``(H, W)``; needed only by
            ``norm='layer'``. Defaults to None.
        norm (str, optional): None, ``'group'`` or ``'layer'``. Defaults to
            None.
        return_increments (bool): Also return the adapted increments as aux
            entries ``delta_c`` and ``delta_m`` (for analysis; they cost
            memory at every step). Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    # its entry in the cell zoo (see zoo.py), with MS-RNN Table 3/6 figures
    zoo = dict(
        key='predrnn_v2', name='PredRNN-V2', year=2022,
        paper='Wang et al., TPAMI 2022', msrnn_params=3.60,
        msrnn_flops=(283.1, 124.0), msrnn_memory=(11.64, 6.66))

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 bias: bool = True,
                 forget_bias: float = 1.0,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None,
                 return_increments: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels,
            hidden_channels,
            kernel_size,
            bias=bias,
            forget_bias=forget_bias,
            spatial_size=spatial_size,
            norm=norm,
            init_cfg=init_cfg)
        self.adapter = nn.Conv2d(
            hidden_channels, hidden_channels, 1, bias=False)
        self.return_increments = return_increments

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        Returns:
            tuple: ``(states, M^l_t, aux)`` with ``aux['loss_decouple']``
            (and ``delta_c``, ``delta_m`` if ``return_increments``).
        """
        if memory is None:
            memory = self.init_memory(x)
        out = self.step(x, states['h'], states['c'], memory)
        # one convolution for both increments: they share the adapter
        adapted = self.adapter(torch.cat([out.delta_c, out.delta_m], dim=0))
        delta_c, delta_m = adapted.chunk(2, dim=0)
        aux = dict(loss_decouple=decoupling_loss(delta_c, delta_m))
        if self.return_increments:
            aux.update(delta_c=delta_c, delta_m=delta_m)
        return dict(h=out.h, c=out.c), out.m, aux
