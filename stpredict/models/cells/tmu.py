"""Transferable memory (Yao et al., ICML 2020): the TMU cell and a wrapper.

Paper: Z. Yao, Y. Wang, M. Long, J. Wang, "Unsupervised Transfer Learning for
Spatiotemporal Predictive Networks", ICML 2020 (Sec. 3.2, Eqs. 2-6).

A target network learns from the memories of ``M`` frozen source networks
(the *memory bank* ``{C^1_t, ..., C^M_t}``, one tensor per source at each
step and layer). Every TMU layer has

- ``M`` **memory distillers** (Eq. 3): ``Ĉ^m_t = LayerNorm(W^m_distill *
  C~_t)``, a 1x1 convolution of the intermediate memory followed by a layer
  normalisation over ``(C, H, W)``; trained to match ``C^m_t`` by the
  distillation loss (Eq. 4);
- ``M`` **transfer gates** (Eq. 5): ``a^m_t = σ(W_xm * X_t + W_hm * H_{t-1}
  + b_m)`` that mix each distilled memory into the final memory
  ``C_t = C~_t + Σ_m (a^m ⊙ Ĉ^m + (1 - a^m) ⊙ C~_t)``.

At test time the bank is absent: the distillers and gates still run (they
only read the target's own ``C~_t``, ``X_t`` and ``H_{t-1}``), so the test-time
model needs no source network.

:class:`TMUCell` is the paper's unit, built on ConvLSTM;
:class:`MemoryTransferWrapper` adds the distillers and transfer gates to any
other cell (PredRNN, MIM, ...; TMU Tables 2-3).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .convlstm import ConvLSTMCell
from .norms import build_cell_norm

Kernel = Union[int, Tuple[int, int]]
HIDDEN_FROM = ('transferred', 'intermediate')

_SHAPE_FIX = ("the source models' memories must match the target's "
              '[C, H, W]: use the same hidden_channels and make frame_size / '
              'patch_size agree (TMU Sec. 4)')


def _check_num_sources(owner: str, num_sources: int) -> int:
    if int(num_sources) != num_sources or num_sources < 1:
        raise ValueError(
            f'{owner} needs num_sources >= 1 (one memory distiller and one '
            f'transfer gate per source model), got {num_sources!r}.')
    return int(num_sources)


def _odd_kernel(owner: str, name: str, kernel_size: Kernel) -> Tuple[int, int]:
    kernel = (kernel_size, kernel_size) if isinstance(
        kernel_size, int) else tuple(kernel_size)
    if len(kernel) != 2 or any(k < 1 or k % 2 == 0 for k in kernel):
        raise ValueError(
            f'{owner} needs an odd {name} (so that "same" padding keeps the '
            f'frame size), got {kernel_size!r}.')
    return kernel


class MemoryDistiller(nn.Module):
    r"""The ``M`` memory distillers of TMU (Eq. 3).

    .. math::
        \hat{C}^m_t = \mathrm{LayerNorm}(W^m_{distill} * \tilde{C}_t),
        \quad m = 1 .. M

    The ``M`` 1x1 convolutions read the same ``C~_t``, so they are fused
    into one convolution with ``M * channels`` outputs (same math). They have
    no bias (as in the released code): the normalisation that follows
    removes the mean, and its affine bias supplies the offset. Each ``Ĉ^m``
    then has its own normalisation (statistics over its own ``C, H, W``; see
    :func:`build_cell_norm`).

    Args:
        channels (int): Channels of ``C~`` and of every ``Ĉ^m``.
        num_sources (int): ``M``.
        norm (str, optional): ``'group'`` (``GroupNorm(1, C)``: statistics
            over ``C, H, W``, per-channel affine, any frame size),
            ``'layer'`` (``LayerNorm([C, H, W])`` with a per-element affine,
            needs ``spatial_size``) or None (no normalisation; not the
            paper). Defaults to ``'group'``.
        spatial_size (Sequence[int], optional): ``(H, W)`` for
            ``norm='layer'``. Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 num_sources: int,
                 norm: Optional[str] = 'group',
                 spatial_size: Optional[Sequence[int]] = None) -> None:
        super().__init__()
        self.channels = channels
        self.num_sources = _check_num_sources('MemoryDistiller', num_sources)
        self.conv = nn.Conv2d(channels, num_sources * channels, 1, bias=False)
        self.norms = nn.ModuleList([
            build_cell_norm(norm, channels, spatial_size) or nn.Identity()
            for _ in range(num_sources)
        ])

    def _group_norm_args(self) -> Optional[Tuple]:
        """``(weight, bias, eps)`` of one ``GroupNorm(M, M * C)`` that equals
        the ``M`` norms ``GroupNorm(1, C)``, or None if they are not such
        norms (layer norms, no norm)."""
        norms = list(self.norms)
        if not all(isinstance(n, nn.GroupNorm) and n.num_groups == 1
                   and n.affine for n in norms):
            return None
        if len({n.eps for n in norms}) != 1:
            return None
        weight = torch.cat([n.weight for n in norms])
        bias = torch.cat([n.bias for n in norms])
        return weight, bias, norms[0].eps

    def forward_stacked(self, c_tilde: torch.Tensor) -> torch.Tensor:
        """Distil ``C~_t`` into the ``M`` memories, stacked.

        With ``GroupNorm(1, C)`` norms (the default) the ``M`` norms run as
        one ``GroupNorm(M, M * C)`` on the fused convolution's output: each
        group is one source's ``C, H, W``, the same statistics and affine
        as the separate norms (the parameters stay one norm per source, so
        checkpoints keep their layout).

        Args:
            c_tilde (torch.Tensor): ``C~_t`` ``[B, channels, H, W]``.

        Returns:
            torch.Tensor: ``[B, M, channels, H, W]``: ``Ĉ^m_t`` at index
            ``m - 1`` of dim 1.
        """
        out = self.conv(c_tilde)
        group = self._group_norm_args()
        if group is not None:
            weight, bias, eps = group
            out = F.group_norm(out, self.num_sources, weight, bias, eps)
            return out.unflatten(1, (self.num_sources, self.channels))
        parts = torch.split(out, self.channels, dim=1)
        return torch.stack(
            [norm(part) for norm, part in zip(self.norms, parts)], dim=1)

    def forward(self, c_tilde: torch.Tensor) -> List[torch.Tensor]:
        """Distil ``C~_t`` into one memory per source.

        Args:
            c_tilde (torch.Tensor): ``C~_t`` ``[B, channels, H, W]``.

        Returns:
            list[torch.Tensor]: ``[Ĉ^1_t, ..., Ĉ^M_t]``, each shaped like
            ``c_tilde``.
        """
        return list(self.forward_stacked(c_tilde).unbind(1))


def init_transfer_parts(bias: torch.Tensor, distiller: MemoryDistiller,
                        gate_bias: float, distiller_scale: float) -> None:
    """Start the transfer gates and distillers where the memory stays bounded.

    Eq. 5 counts ``C~`` once plus ``(1 - a^m)`` times per source, and adds
    the distilled memories, which the LayerNorm of Eq. 3 gives unit variance
    whatever the size of ``C~``. With the usual initialisation (``a^m`` about
    0.5, unit-scale ``Ĉ^m``) the memory of an untrained model is amplified
    about ``1 + M / 2`` times per step and filled with unit noise, so
    ``tanh`` saturates. A positive transfer-gate bias (``a^m`` near 1: ``C~``
    counted about once) and a small initial affine scale of the distiller
    norm (``Ĉ^m`` small) keep it near a ConvLSTM's at the start; training
    moves both freely. ``gate_bias=0, distiller_scale=1`` is the plain
    initialisation of the paper's equations.

    Args:
        bias (torch.Tensor): The transfer gates' bias (``M * C`` values).
        distiller (MemoryDistiller): The distillers.
        gate_bias (float): Initial value of ``b_m`` in Eq. 5.
        distiller_scale (float): Initial affine weight of the distiller norms
            (or, without a norm, the factor on the 1x1 convolution).
    """
    with torch.no_grad():
        bias.fill_(gate_bias)
        if distiller_scale == 1.0:
            return
        scaled = False
        for norm in distiller.norms:
            weight = getattr(norm, 'weight', None)
            if isinstance(weight, torch.Tensor):
                weight.fill_(distiller_scale)
                scaled = True
        if not scaled:
            distiller.conv.weight.mul_(distiller_scale)


def check_bank(owner: str, bank: Sequence[torch.Tensor], c_tilde: torch.Tensor,
               num_sources: int) -> None:
    """Refuse a memory bank that does not fit the target's memory.

    Args:
        owner (str): Name of the cell, for the message.
        bank (Sequence[torch.Tensor]): The source memories.
        c_tilde (torch.Tensor): The target's ``C~_t``.
        num_sources (int): Sources the cell was built for.

    Raises:
        ValueError: With the expected and received shapes and the fix.
    """
    if isinstance(bank, torch.Tensor) or not isinstance(bank, (list, tuple)):
        raise ValueError(
            f'{owner}: the memory bank must be a list of {num_sources} '
            f'tensors [B, C, H, W] (one per source model), got '
            f'{type(bank).__name__}.')
    if len(bank) != num_sources:
        raise ValueError(
            f'{owner} was built for num_sources={num_sources} source models '
            f'but the memory bank holds {len(bank)} memories. Set '
            'num_sources to the number of source models (teachers) in the '
            'transfer config.')
    expected = tuple(c_tilde.shape)
    for index, memory in enumerate(bank):
        if not isinstance(memory, torch.Tensor):
            raise ValueError(
                f'{owner}: memory {index} of the bank is a '
                f'{type(memory).__name__}, expected a tensor of shape '
                f'{expected} [B, C, H, W].')
        if tuple(memory.shape) != expected:
            raise ValueError(
                f"{owner}: source {index}'s memory has shape "
                f"{tuple(memory.shape)} but the target's memory C~ has shape "
                f'{expected} [B, C, H, W]; {_SHAPE_FIX}.')


def transfer_memory(c_tilde: torch.Tensor, distilled: torch.Tensor,
                    gates: torch.Tensor) -> torch.Tensor:
    r"""The final memory of Eq. 5.

    .. math::
        C_t = \tilde{C}_t + \sum_m (a^m_t \odot \hat{C}^m_t
              + (1 - a^m_t) \odot \tilde{C}_t)
            = (1 + M) \tilde{C}_t
              + \sum_m a^m_t \odot (\hat{C}^m_t - \tilde{C}_t)

    The second form (same value) takes four element-wise operations for
    any ``M`` instead of five per source.

    Args:
        c_tilde (torch.Tensor): ``C~_t`` ``[B, C, H, W]``.
        distilled (torch.Tensor): ``Ĉ^m_t`` stacked ``[B, M, C, H, W]``.
        gates (torch.Tensor): ``a^m_t`` (after the sigmoid), stacked like
            ``distilled``.

    Returns:
        torch.Tensor: ``C_t``.
    """
    mixed = (gates * (distilled - c_tilde.unsqueeze(1))).sum(dim=1)
    return torch.add(mixed, c_tilde, alpha=1 + distilled.shape[1])


def transfer_aux(distilled: torch.Tensor, gates: torch.Tensor,
                 bank: Optional[Sequence[torch.Tensor]]
                 ) -> Dict[str, torch.Tensor]:
    """The per-step aux of a TMU layer.

    Args:
        distilled (torch.Tensor): ``Ĉ^m_t`` stacked ``[B, M, C, H, W]``.
        gates (torch.Tensor): ``a^m_t`` stacked like ``distilled``.
        bank (Sequence[torch.Tensor], optional): The source memories
            ``C^m_t`` (already checked), or None.

    Returns:
        dict[str, torch.Tensor]: ``transfer_gates`` (detached ``[M]``: the
        mean of each ``a^m`` over batch, channels and space; TMU Table 5)
        and, with a bank, ``loss_distill``: Eq. 4 at this step,
        ``Σ_m ||Ĉ^m_t - C^m_t||²`` summed over ``C, H, W`` and averaged over
        the batch. The source memories are constants (detached).
    """
    aux = dict(transfer_gates=gates.detach().mean(dim=(0, 2, 3, 4)))
    if bank is not None:
        target = torch.stack([memory.detach() for memory in bank],
                             dim=1).to(distilled.dtype)
        aux['loss_distill'] = (distilled - target).pow(2).flatten(2).sum(
            dim=2).mean(dim=0).sum()
    return aux


@CELLS.register_module()
class TMUCell(ConvLSTMCell):
    r"""Transferable Memory Unit (TMU, Yao et al., ICML 2020, Eqs. 2-5).

    A ConvLSTM with peepholes (Eq. 2) whose memory receives knowledge from
    ``M`` source networks through memory distillers (Eq. 3) and transfer
    gates (Eq. 5):

    .. math::
        g_t &= \tanh(W_{xg} * X_t + W_{hg} * H_{t-1} + b_g) \\
        i_t &= \sigma(W_{xi} * X_t + W_{hi} * H_{t-1}
               + W_{ci} \odot C_{t-1} + b_i) \\
        f_t &= \sigma(W_{xf} * X_t + W_{hf} * H_{t-1}
               + W_{cf} \odot C_{t-1} + b_f) \\
        \tilde{C}_t &= f_t \odot C_{t-1} + i_t \odot g_t \\
        \hat{C}^m_t &= \mathrm{LayerNorm}(W^m_{distill} * \tilde{C}_t) \\
        a^m_t &= \sigma(W_{xm} * X_t + W_{hm} * H_{t-1} + b_m) \\
        C_t &= \tilde{C}_t + \textstyle\sum_m (a^m_t \odot \hat{C}^m_t
               + (1 - a^m_t) \odot \tilde{C}_t) \\
        o_t &= \sigma(W_{xo} * X_t + W_{ho} * H_{t-1}
               + W_{co} \odot C_t + b_o) \\
        H_t &= o_t \odot \tanh(C_t)

    ``C_t`` is the memory carried to the next step (state ``'c'``).

    **Fused convolutions.** Everything that reads ``[X_t, H_{t-1}]`` - the
    ConvLSTM gates ``i, f, g, o`` and the ``M`` transfer gates - is one
    convolution ``gate_conv`` with ``(4 + M) * hidden`` outputs (in this
    order: ``i, f, g, o, a^1, ..., a^M``) when ``gate_kernel_size`` equals
    ``kernel_size`` (the default). Otherwise ``gate_conv`` gives ``i, f, g,
    o`` and ``transfer_conv`` (kernel ``gate_kernel_size``) the gates. The
    ``M`` 1x1 distillers are one convolution too (:class:`MemoryDistiller`,
    exposed by :meth:`distill`).

    **Distillation loss.** With a memory bank (training with teachers),
    ``aux['loss_distill']`` is Eq. 4 for this step and layer:
    ``Σ_m ||Ĉ^m_t - C^m_t||²`` summed over ``C, H, W`` and averaged over the
    batch. This is the convention of the frame loss (sum over each frame's
    pixels, mean over frames and batch), so the paper's ``β = 0.1``
    (``aux_loss_weights=dict(loss_distill=0.1)``) keeps its meaning in
    Eq. 6: the predictor averages the term over steps and sums it over
    layers. The source memories are constants: no gradient reaches the
    teachers. ``aux['transfer_gates']`` (every step) is the detached mean of
    each ``a^m`` over batch, channels and space (TMU Table 5).

    **Paper vs the authors' released code.** The paper is the default. The
    released code computes ``H`` from the intermediate memory,
    ``H_t = o_t ⊙ tanh(C~_t)`` with the output-gate peephole on ``C~_t``
    (``hidden_from='intermediate'``); ``C_t`` is still the memory carried
    over time. In that mode the transfer gates and distillers act on ``H``
    only from the next step on. The released code also uses a TMU only in
    layer 0 (configure one cell per layer), no peepholes (``peephole=False``)
    and one LayerNorm over all gate pre-activations (here ``norm`` acts on
    the ConvLSTM gates and on the transfer gates separately, so that fused
    and separate convolutions compute the same function).

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H``, ``C`` (and of the source
            memories).
        kernel_size (int | tuple[int, int]): Kernel of the ConvLSTM gate
            convolution. Defaults to 5 (TMU).
        num_sources (int): Number of source models ``M`` (>= 1). Defaults
            to 2.
        peephole (bool): Whether to use the peepholes ``W_ci, W_cf, W_co``
            of Eqs. 2 and 5. Defaults to True (paper).
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale. With it, peephole weights are full ``[C, H, W]`` tensors
            and ``'layer'`` norms are possible; without it peepholes are
            per-channel and the cell works at any size. Defaults to None.
        gate_kernel_size (int | tuple[int, int], optional): Kernel of the
            transfer-gate convolutions ``W_xm, W_hm``. None means
            ``kernel_size`` (fused with the ConvLSTM gates). Defaults to None.
        distiller_norm (str, optional): The LayerNorm of Eq. 3: ``'group'``
            (``GroupNorm(1, C)``: statistics over ``C, H, W``, per-channel
            affine, any size), ``'layer'`` (``LayerNorm([C, H, W])``, needs
            ``spatial_size``) or None. Defaults to ``'group'``.
        hidden_from (str): ``'transferred'`` (paper: ``H`` and the output
            peephole read ``C_t``) or ``'intermediate'`` (released code: they
            read ``C~_t``). Defaults to ``'transferred'``.
        norm (str, optional): Normalisation of the gate pre-activations:
            None, ``'group'`` or ``'layer'``. Defaults to None (paper).
        forget_bias (float): Constant added to the forget gate before the
            sigmoid. Defaults to 0.
        transfer_gate_bias (float): Initial bias ``b_m`` of the transfer
            gates (see :func:`init_transfer_parts`). Defaults to 3.0 (chosen
            by experiment, ``configs/tmu/README.md``; 0 is the plain
            initialisation of the paper's equations).
        distiller_scale (float): Initial affine weight of the distiller
            norms. Defaults to 0.1 (chosen by experiment; 1 is plain).
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c')
    uses_memory_bank = True

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Kernel = 5,
                 num_sources: int = 2,
                 peephole: bool = True,
                 spatial_size: Optional[Sequence[int]] = None,
                 gate_kernel_size: Optional[Kernel] = None,
                 distiller_norm: Optional[str] = 'group',
                 hidden_from: str = 'transferred',
                 norm: Optional[str] = None,
                 forget_bias: float = 0.0,
                 transfer_gate_bias: float = 3.0,
                 distiller_scale: float = 0.1,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        num_sources = _check_num_sources('TMUCell', num_sources)
        if hidden_from not in HIDDEN_FROM:
            raise ValueError(
                f"TMUCell: hidden_from must be one of {HIDDEN_FROM} "
                "('transferred': H from C_t as in the paper; 'intermediate': "
                f'H from C~_t as in the released code), got {hidden_from!r}.')
        super().__init__(
            in_channels,
            hidden_channels,
            kernel_size,
            bias=True,
            peephole=peephole,
            spatial_size=spatial_size,
            norm=norm,
            forget_bias=forget_bias,
            init_cfg=init_cfg)
        self.num_sources = num_sources
        self.hidden_from = hidden_from
        self.spatial_size = tuple(int(v) for v in spatial_size) \
            if spatial_size else None
        gate_kernel = self.kernel_size if gate_kernel_size is None else \
            _odd_kernel('TMUCell', 'gate_kernel_size', gate_kernel_size)
        self.gate_kernel_size = gate_kernel
        self.fused = gate_kernel == self.kernel_size
        gate_in = in_channels + hidden_channels
        gate_out = num_sources * hidden_channels
        if self.fused:
            # i, f, g, o and a^1..a^M from one convolution on [X, H]
            self.gate_conv = nn.Conv2d(
                gate_in,
                4 * hidden_channels + gate_out,
                self.kernel_size,
                padding=self.padding)
            self.transfer_conv = None
        else:
            self.transfer_conv = nn.Conv2d(
                gate_in,
                gate_out,
                gate_kernel,
                padding=(gate_kernel[0] // 2, gate_kernel[1] // 2))
        self.transfer_norm = build_cell_norm(norm, gate_out, spatial_size)
        self.distiller = MemoryDistiller(hidden_channels, num_sources,
                                         distiller_norm, spatial_size)
        self.declare_frame_size(spatial_size, distiller_norm == 'layer')
        self.transfer_gate_bias = float(transfer_gate_bias)
        self.distiller_scale = float(distiller_scale)
        gate_bias = self.gate_conv.bias[4 * hidden_channels:] \
            if self.fused else self.transfer_conv.bias
        init_transfer_parts(gate_bias, self.distiller,
                            self.transfer_gate_bias, self.distiller_scale)

    def source_rows(self, name: str) -> Optional[int]:
        """Leading output rows of ``name`` laid out as a ConvLSTM's.

        The fused ``gate_conv`` holds ``i, f, g, o`` (a ConvLSTM's
        ``gate_conv``) and then the transfer gates: finetuning from a
        ConvLSTM fills the first ``4 * hidden`` rows
        (:class:`~stpredict.models.transfer.Finetune`).

        Args:
            name (str): A parameter name relative to this cell.

        Returns:
            int | None: The row count, or None if the layout differs.
        """
        if self.fused and name in ('gate_conv.weight', 'gate_conv.bias'):
            return 4 * self.hidden_channels
        return None

    def gates(self, x: torch.Tensor,
              h: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Pre-activations of ``i, f, g, o`` and of the transfer gates.

        Args:
            x (torch.Tensor): Input ``[B, in_channels, H, W]``.
            h (torch.Tensor): ``H_{t-1}`` ``[B, hidden_channels, H, W]``.

        Returns:
            dict[str, torch.Tensor]: ``i, f, g, o`` (no peepholes yet) and
            ``a``: the ``M`` transfer-gate pre-activations stacked on the
            channels ``[B, M * hidden, H, W]``.
        """
        xh = torch.cat([x, h], dim=1)
        pre = self.gate_conv(xh)
        hid = self.hidden_channels
        if self.fused:
            lstm, transfer = pre[:, :4 * hid], pre[:, 4 * hid:]
        else:
            lstm, transfer = pre, self.transfer_conv(xh)
        if self.norm is not None:
            lstm = self.norm(lstm)
        if self.transfer_norm is not None:
            transfer = self.transfer_norm(transfer)
        i, f, g, o = torch.split(lstm, hid, dim=1)
        return dict(i=i, f=f, g=g, o=o, a=transfer)

    def distill(self, c_tilde: torch.Tensor) -> List[torch.Tensor]:
        """The memory distillers (Eq. 3): ``[Ĉ^1_t, ..., Ĉ^M_t]``.

        Args:
            c_tilde (torch.Tensor): ``C~_t`` ``[B, hidden, H, W]``.

        Returns:
            list[torch.Tensor]: One distilled memory per source.
        """
        return self.distiller(c_tilde)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None,
                bank: Optional[Sequence[torch.Tensor]] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        Args:
            bank (Sequence[torch.Tensor], optional): The source memories
                ``[C^1_t, ..., C^M_t]``, each shaped like ``C~_t``; None at
                test time (then no ``loss_distill``). Defaults to None.

        Returns:
            tuple: ``(dict(h=H_t, c=C_t), memory, aux)``; ``aux`` holds
            ``transfer_gates`` and, with a bank, ``loss_distill``.
        """
        h, c = states['h'], states['c']
        if self.peephole and self.spatial_size is not None and tuple(
                c.shape[-2:]) != self.spatial_size:
            raise ValueError(
                f'TMUCell was built with spatial_size={self.spatial_size} '
                '(full [C, H, W] peephole weights) but got maps of size '
                f'{tuple(c.shape[-2:])}. Fix: set spatial_size to the '
                "cell's input size (frame size / patch size / scale), or "
                'leave it None for per-channel peepholes that work at any '
                'size.')
        pre = self.gates(x, h)
        i, f, o = pre['i'], pre['f'], pre['o']
        if self.peephole:
            w_ci, w_cf, w_co = self.peephole_weight
            i = i + w_ci * c
            f = f + w_cf * c
        c_tilde = torch.sigmoid(f + self.forget_bias) * c + \
            torch.sigmoid(i) * torch.tanh(pre['g'])
        if bank is not None:
            check_bank(type(self).__name__, bank, c_tilde, self.num_sources)
        distilled = self.distiller.forward_stacked(c_tilde)
        gates = torch.sigmoid(pre['a']).unflatten(
            1, (self.num_sources, self.hidden_channels))
        c_new = transfer_memory(c_tilde, distilled, gates)
        c_out = c_new if self.hidden_from == 'transferred' else c_tilde
        if self.peephole:
            o = o + w_co * c_out
        h_new = torch.sigmoid(o) * torch.tanh(c_out)
        aux = transfer_aux(distilled, gates, bank)
        return dict(h=h_new, c=c_new), memory, aux


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
        cfg['in_channels'] = in_channels
        cfg['hidden_channels'] = hidden_channels
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
