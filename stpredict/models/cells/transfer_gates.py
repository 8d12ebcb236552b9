"""TMU's transfer gates (Yao et al., ICML 2020, Eq. 5) and the checks shared
by :class:`~stpredict.models.cells.TMUCell` and
:class:`~stpredict.models.cells.MemoryTransferWrapper`.

The gates ``a^m_t`` mix each distilled memory into the final memory
``C_t = C~_t + Σ_m (a^m ⊙ Ĉ^m + (1 - a^m) ⊙ C~_t)``; the distillation loss
(Eq. 4) compares ``Ĉ^m_t`` with the source memories of the bank.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch

Kernel = Union[int, Tuple[int, int]]

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
