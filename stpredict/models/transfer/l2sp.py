"""L2-SP: finetuning with a penalty towards the starting point."""
from typing import Dict, List, Optional, Sequence

import torch

from stpredict.registry import TRANSFERS
from .finetune import Finetune


@TRANSFERS.register_module()
class L2SP(Finetune):
    """Finetune with the L2-SP regulariser (Li et al., ICML 2018).

    ``alpha / 2 * ||w_S - w_S^0||^2`` on the weights shared with the source
    (``w^0``: the source weights they start from) plus
    ``beta / 2 * ||w_new||^2`` on the weights the source does not provide.
    It replaces plain weight decay: configs using it set none.

    The starting point is kept in non-persistent buffers: it is not saved in
    checkpoints (a resumed run re-reads the source file) and moves with the
    model between devices.

    Args:
        alpha (float): Weight of the pull towards the starting point.
            Defaults to 0.1 (Li et al.).
        beta (float): Weight of the plain L2 penalty on new weights.
            Defaults to 0.01 (Li et al.).
        penalize_biases (bool): Whether biases and normalisation weights
            are penalised too. Defaults to False.
        checkpoint, config, include, exclude: See :class:`Finetune`.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 alpha: float = 0.1,
                 beta: float = 0.01,
                 penalize_biases: bool = False,
                 checkpoint: Optional[str] = None,
                 config: Optional[str] = None,
                 include: Optional[Sequence[str]] = None,
                 exclude: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            checkpoint=checkpoint, config=config, include=include,
            exclude=exclude, init_cfg=init_cfg)
        if alpha < 0 or beta < 0:
            raise ValueError(f'alpha and beta must be >= 0, got {alpha} and '
                             f'{beta}.')
        self.alpha = alpha
        self.beta = beta
        self.penalize_biases = penalize_biases
        self._start_names: List[str] = []

    def init_weights(self) -> None:
        """Load the source weights and remember them as the start point."""
        super().init_weights()
        params = dict(self.student.named_parameters())
        for index, name in enumerate(self.loaded_names):
            buffer_name = f'start_point_{index}'
            self.register_buffer(
                buffer_name, params[name].detach().clone(), persistent=False)
        self._start_names = list(self.loaded_names)

    def _penalized(self, name: str, param: torch.Tensor) -> bool:
        if name.startswith('transfer.') or not param.requires_grad:
            return False
        return self.penalize_biases or param.dim() > 1

    def losses(self, student: torch.nn.Module,
               aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """``loss_l2sp_start`` and ``loss_l2sp_new``."""
        if not self._start_names and self.loaded_names:
            raise RuntimeError('L2SP has no starting point: init_weights '
                               'has not run.')
        params = dict(student.named_parameters())
        shared = set(self._start_names)
        pull = None
        for index, name in enumerate(self._start_names):
            param = params[name]
            if not self._penalized(name, param):
                continue
            start = getattr(self, f'start_point_{index}')
            term = (param - start).square().sum()
            pull = term if pull is None else pull + term
        new = None
        for name, param in params.items():
            if name in shared or not self._penalized(name, param):
                continue
            term = param.square().sum()
            new = term if new is None else new + term
        zero = next(iter(params.values())).new_zeros(())
        return dict(
            loss_l2sp_start=0.5 * self.alpha * (pull if pull is not None
                                                else zero),
            loss_l2sp_new=0.5 * self.beta * (new if new is not None
                                             else zero))
