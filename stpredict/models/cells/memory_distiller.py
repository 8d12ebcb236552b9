"""TMU's memory distillers (Yao et al., ICML 2020, Eq. 3) and the start of
distillers and transfer gates."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .norms import build_cell_norm
from .transfer_gates import _check_num_sources


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
