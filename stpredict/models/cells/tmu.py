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
other cell (PredRNN, MIM, ...; TMU Tables 2-3). The distillers live in
``memory_distiller.py``, the transfer gates' equations in
``transfer_gates.py`` and the wrapper in ``memory_transfer_wrapper.py``; this
module re-exports them.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import CellOutput, States
from .convlstm import ConvLSTMCell
from .memory_distiller import MemoryDistiller, init_transfer_parts
from .memory_transfer_wrapper import MemoryTransferWrapper
from .norms import build_cell_norm
from .transfer_gates import (Kernel, _check_num_sources, _odd_kernel,
                             check_bank, transfer_aux, transfer_memory)

HIDDEN_FROM = ('transferred', 'intermediate')


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


__all__ = [
    'TMUCell', 'MemoryTransferWrapper', 'MemoryDistiller', 'HIDDEN_FROM',
    'check_bank', 'init_transfer_parts', 'transfer_aux', 'transfer_memory'
]
