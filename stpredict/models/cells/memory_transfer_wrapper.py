"""TMU's memory distillers and transfer gates around any cell (Yao et al.,
ICML 2020, Tables 2-3)."""
import copy
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .memory_distiller import MemoryDistiller, init_transfer_parts
from .transfer_gates import (Kernel, _check_num_sources, check_bank,
                             transfer_aux, transfer_memory)


@CELLS.register_module()
class MemoryTransferWrapper(BaseCell):
    r"""Add TMU's memory distillers and transfer gates to any cell.

    TMU Tables 2-3 put the distiller and the transfer gates on PredRNN, MIM
    and other backbones. This wrapper builds the inner cell from ``cell``
    (with the wrapper's ``in_channels`` and ``hidden_channels``), runs it,
    takes its new memory state (``memory_state``, ``'c'`` by default) as
    ``C~_t`` and replaces it by

    .. math::
        \hat{C}^m_t &= \mathrm{LayerNorm}(W^m_{distill} * \tilde{C}_t) \\
        a^m_t &= \sigma(W_{xm} * X_t + W_{hm} * H_{t-1} + b_m) \\
        C_t &= \tilde{C}_t + \textstyle\sum_m (a^m_t \odot \hat{C}^m_t
               + (1 - a^m_t) \odot \tilde{C}_t)

    where ``H_{t-1}`` is the inner cell's previous output state; the ``M``
    gates are one convolution ``transfer_conv`` on ``[X_t, H_{t-1}]``.
    ``C_t`` is what the inner cell reads at the next step.

    **The hidden state stays the inner cell's**, computed from ``C~_t``
    (like ``hidden_from='intermediate'`` of :class:`TMUCell`, the TMU
    authors' released code): a generic wrapper cannot recompute ``H``
    inside an arbitrary cell. Transferred knowledge reaches ``H`` from the
    next step on, through ``C_t``. For the paper's ConvLSTM unit use
    :class:`TMUCell`.

    The wrapper mirrors the inner cell (``state_names``, ``output_state``,
    ``uses_memory``, ``uses_diagonal``, channels, zero states) so any neck
    treats it as the inner cell; memory and diagonal inputs pass through.
    Its aux is the inner cell's plus ``transfer_gates`` and, with a bank,
    ``loss_distill`` (same conventions as :class:`TMUCell`).

    Args:
        cell (dict): Config of the inner cell, e.g.
            ``dict(type='SpatioTemporalLSTMCell', kernel_size=5)``;
            ``in_channels`` and ``hidden_channels`` are filled in.
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Hidden channels of the inner cell.
        num_sources (int): Number of source models ``M`` (>= 1). Defaults
            to 2.
        memory_state (str): The inner cell's state that receives the
            transferred knowledge. Defaults to ``'c'``.
        gate_kernel_size (int | tuple[int, int]): Kernel of the transfer
            gates. Defaults to 5.
        distiller_norm (str, optional): The LayerNorm of Eq. 3, see
            :class:`MemoryDistiller`. Defaults to ``'group'``.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``distiller_norm='layer'``. Defaults to None.
        transfer_gate_bias (float): Initial bias of the transfer gates, see
            :class:`TMUCell`. Defaults to 3.0.
        distiller_scale (float): Initial affine weight of the distiller
            norms, see :class:`TMUCell`. Defaults to 0.1.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    uses_memory_bank = True

    def __init__(self,
                 cell: dict,
                 in_channels: int,
                 hidden_channels: int,
                 num_sources: int = 2,
                 memory_state: str = 'c',
                 gate_kernel_size: Kernel = 5,
                 distiller_norm: Optional[str] = 'group',
                 spatial_size: Optional[Sequence[int]] = None,
                 transfer_gate_bias: float = 3.0,
                 distiller_scale: float = 0.1,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        num_sources = _check_num_sources('MemoryTransferWrapper', num_sources)
        super().__init__(
            in_channels, hidden_channels, gate_kernel_size, init_cfg=init_cfg)
        if not isinstance(cell, dict) or 'type' not in cell:
            raise TypeError(
                'MemoryTransferWrapper: cell must be a cell config dict with '
                "a 'type', e.g. dict(type='SpatioTemporalLSTMCell'), got "
                f'{cell!r}.')
        cfg = copy.deepcopy(dict(cell))
        for name, value in (('in_channels', in_channels),
                            ('hidden_channels', hidden_channels)):
            if name in cfg and cfg[name] != value:
                raise ValueError(
                    f"MemoryTransferWrapper: the inner cell {cfg['type']} "
                    f'sets {name}={cfg[name]!r}, but the wrapper gives it '
                    f'its own {name} ({value}) and would drop it. Remove it '
                    'from the inner cell config (the neck sets the '
                    "wrapper's channels: set neck.hidden_channels).")
            cfg[name] = value
        inner = CELLS.build(cfg)
        if not isinstance(inner, BaseCell):
            raise TypeError(
                f'MemoryTransferWrapper: {type(inner).__name__} is not a '
                'stpredict cell (a subclass of BaseCell).')
        if inner.uses_memory_bank:
            raise ValueError(
                f'MemoryTransferWrapper: {type(inner).__name__} already '
                'takes a memory bank; use it directly instead of wrapping it.')
        if memory_state not in inner.state_names:
            raise ValueError(
                f'MemoryTransferWrapper: memory_state={memory_state!r} is not '
                f'a state of {type(inner).__name__}, whose states are '
                f'{inner.state_names}. Choose one of them.')
        self.cell = inner
        self.num_sources = num_sources
        self.memory_state = memory_state
        # describe the wrapper to the neck exactly as the inner cell
        self.state_names = inner.state_names
        self.output_state = inner.output_state
        self.uses_memory = inner.uses_memory
        self.uses_diagonal = inner.uses_diagonal
        self.frame_multiple = inner.frame_multiple
        self.min_frame_size = inner.min_frame_size
        self.frame_size = inner.frame_size
        channels = inner.state_channels(memory_state)
        self.transfer_conv = nn.Conv2d(
            in_channels + inner.state_channels(inner.output_state),
            num_sources * channels,
            self.kernel_size,
            padding=self.padding)
        self.distiller = MemoryDistiller(channels, num_sources, distiller_norm,
                                         spatial_size)
        if distiller_norm == 'layer' and inner.frame_size is not None and \
                tuple(inner.frame_size) != tuple(spatial_size):
            raise ValueError(
                f'MemoryTransferWrapper: spatial_size={tuple(spatial_size)} '
                f'but the inner {type(inner).__name__} was built for '
                f'{tuple(inner.frame_size)}; give both the same size.')
        self.declare_frame_size(spatial_size, distiller_norm == 'layer')
        self.transfer_gate_bias = float(transfer_gate_bias)
        self.distiller_scale = float(distiller_scale)
        init_transfer_parts(self.transfer_conv.bias, self.distiller,
                            self.transfer_gate_bias, self.distiller_scale)

    @property
    def memory_channels(self) -> int:
        """Channels of the inner cell's zigzag memory."""
        return self.cell.memory_channels

    def state_channels(self, name: str) -> int:
        """Channels of the inner cell's state ``name``."""
        return self.cell.state_channels(name)

    def check_frame_size(self, height: int, width: int) -> None:
        """The inner cell's frame-size check, then the wrapper's own."""
        self.cell.check_frame_size(height, width)
        super().check_frame_size(height, width)

    def init_states(self, x: torch.Tensor) -> States:
        """The inner cell's zero states (the size checked first)."""
        self.check_frame_size(*x.shape[-2:])
        return self.cell.init_states(x)

    def init_memory(self, x: torch.Tensor) -> torch.Tensor:
        """The inner cell's zero zigzag memory."""
        return self.cell.init_memory(x)

    def distill(self, c_tilde: torch.Tensor) -> List[torch.Tensor]:
        """The memory distillers (Eq. 3): ``[Ĉ^1_t, ..., Ĉ^M_t]``."""
        return self.distiller(c_tilde)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None,
                bank: Optional[Sequence[torch.Tensor]] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward` and :class:`TMUCell`.

        Args:
            bank (Sequence[torch.Tensor], optional): The source memories,
                each shaped like the inner cell's new ``memory_state``; None
                at test time. Defaults to None.
        """
        new_states, new_memory, inner_aux = self.cell(
            x, states, memory=memory, diagonal=diagonal)
        c_tilde = new_states[self.memory_state]
        if bank is not None:
            check_bank(f'MemoryTransferWrapper({type(self.cell).__name__})',
                       bank, c_tilde, self.num_sources)
        h_prev = states[self.output_state]
        gates = torch.sigmoid(
            self.transfer_conv(torch.cat([x, h_prev], dim=1))).unflatten(
                1, (self.num_sources, c_tilde.shape[1]))
        distilled = self.distiller.forward_stacked(c_tilde)
        new_states = dict(new_states)
        new_states[self.memory_state] = transfer_memory(
            c_tilde, distilled, gates)
        aux = dict(inner_aux)
        aux.update(transfer_aux(distilled, gates, bank))
        return new_states, new_memory, aux
