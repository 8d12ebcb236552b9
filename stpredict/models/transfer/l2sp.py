"""L2-SP: finetuning with a penalty towards the starting point."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import print_log

from stpredict.registry import TRANSFERS
from .finetune import Finetune

#: frame-loss reductions the penalty weights can be stated for
L2SP_REFERENCES = ('pixel_mean', 'frame_sum')


@TRANSFERS.register_module()
class L2SP(Finetune):
    """Finetune with the L2-SP regulariser (Li et al., ICML 2018).

    ``alpha / 2 * ||w_S - w_S^0||^2`` on the weights shared with the source
    (``w^0``: the source weights they start from) plus
    ``beta / 2 * ||w_new||^2`` on the weights the source does not provide
    (for a partially loaded fused gate convolution, its loaded rows are
    shared and its fresh rows new). It replaces plain weight decay: configs
    using it set none.

    **Scale.** Li et al.'s ``alpha = 0.1, beta = 0.01`` go with a loss that
    is a mean per sample (cross-entropy). A frame loss summed over each
    frame's ``C * H * W`` pixels (``reduction='frame_sum'``, the TMU and
    PredRNN convention) is ``C * H * W`` times larger, and with the same
    weights the penalty would be negligible (L2-SP would be plain
    finetuning). So ``alpha`` and ``beta`` are stated for the frame-loss
    reduction ``reference`` (per-pixel mean by default) and multiplied by
    the pixels of a frame when the student's loss sums over them
    (``l2sp_scale`` in the log). The two terms are logged next to
    ``loss_frame`` (``loss_l2sp_start``, ``loss_l2sp_new``).

    Li et al. train with SGD and momentum; stpredict's configs keep the
    student's optimiser (Adam) so that every transfer method of a table is
    trained alike. Under Adam an L2 penalty in the loss is rescaled per
    parameter, which weakens its pull on rarely updated weights.

    The starting point is kept in non-persistent buffers: it is not saved in
    checkpoints (a resumed run re-reads the source file) and moves with the
    model between devices.

    Args:
        alpha (float): Weight of the pull towards the starting point, for
            a frame loss of reduction ``reference``. Defaults to 0.1
            (Li et al.).
        beta (float): Weight of the plain L2 penalty on new weights, for a
            frame loss of reduction ``reference``. Defaults to 0.01
            (Li et al.).
        reference (str): The frame-loss reduction ``alpha`` and ``beta``
            are stated for: ``'pixel_mean'`` or ``'frame_sum'`` (no
            rescaling). Defaults to ``'pixel_mean'``.
        penalize_biases (bool): Whether biases and normalisation weights
            are penalised too. Defaults to False.
        checkpoint, config, include, exclude, allow_partial: See
            :class:`Finetune`.
        neck (nn.Module, optional): The student's neck (passed by the
            predictor).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 alpha: float = 0.1,
                 beta: float = 0.01,
                 reference: str = 'pixel_mean',
                 penalize_biases: bool = False,
                 checkpoint: Optional[str] = None,
                 config: Optional[str] = None,
                 include: Optional[Sequence[str]] = None,
                 exclude: Optional[Sequence[str]] = None,
                 allow_partial: bool = False,
                 neck: Optional[torch.nn.Module] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            checkpoint=checkpoint, config=config, include=include,
            exclude=exclude, allow_partial=allow_partial, neck=neck,
            init_cfg=init_cfg)
        if alpha < 0 or beta < 0:
            raise ValueError(f'alpha and beta must be >= 0, got {alpha} and '
                             f'{beta}.')
        if reference not in L2SP_REFERENCES:
            raise ValueError(
                f'L2SP: reference must be one of {L2SP_REFERENCES} (the '
                'frame-loss reduction alpha and beta are stated for), got '
                f'{reference!r}.')
        self.alpha = alpha
        self.beta = beta
        self.reference = reference
        self.penalize_biases = penalize_biases
        self._start_names: List[str] = []
        self._start_rows: Dict[str, int] = {}
        self._scale: Optional[float] = None

    def init_student(self, student: torch.nn.Module) -> None:
        """Load the source weights and remember them as the start point."""
        super().init_student(student)
        params = dict(student.named_parameters())
        names = list(self.loaded_names) + list(self.partial_names)
        for index, name in enumerate(names):
            self.register_buffer(
                f'start_point_{index}', params[name].detach().clone(),
                persistent=False)
        self._start_names = names
        self._start_rows = {
            name: self._source_rows(student, name)
            for name in self.partial_names
        }

    def penalty_scale(self, student: torch.nn.Module,
                      frame_elements: int) -> float:
        """The factor on ``alpha`` and ``beta`` for the student's loss."""
        reduction = getattr(student.loss_module, 'reduction', 'pixel_mean')
        if reduction == self.reference:
            return 1.0
        if reduction == 'frame_sum':  # reference: pixel_mean
            return float(frame_elements)
        return 1.0 / float(frame_elements)  # pixel_mean loss, frame_sum ref

    def begin(self, student: torch.nn.Module, frames: torch.Tensor, masks,
              training: bool):
        """Find the penalty scale from the first training frames."""
        if training and self._scale is None:
            self._scale = self.penalty_scale(student, frames[0, 0].numel())
            print_log(
                f'L2SP: alpha={self.alpha}, beta={self.beta} stated for a '
                f'{self.reference} frame loss; the student\'s loss is '
                f'{getattr(student.loss_module, "reduction", "?")}, so both '
                f'are scaled by {self._scale:g}.', logger='current')
        return None

    def _penalized(self, name: str, param: torch.Tensor) -> bool:
        if name.startswith('transfer.') or not param.requires_grad:
            return False
        return self.penalize_biases or param.dim() > 1

    def losses(self, student: torch.nn.Module,
               aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """``loss_l2sp_start``, ``loss_l2sp_new`` and ``l2sp_scale``."""
        if not self._start_names and (self.loaded_names
                                      or self.partial_names):
            raise RuntimeError('L2SP has no starting point: init_student '
                               'has not run.')
        params = dict(student.named_parameters())
        shared = set(self._start_names)
        pull, new = [], []
        for index, name in enumerate(self._start_names):
            param = params[name]
            if not self._penalized(name, param):
                continue
            start = getattr(self, f'start_point_{index}')
            rows = self._start_rows.get(name)
            if rows is None:
                pull.append((param - start).square().sum())
            else:
                pull.append((param[:rows] - start[:rows]).square().sum())
                new.append(param[rows:].square().sum())
        for name, param in params.items():
            if name in shared or not self._penalized(name, param):
                continue
            new.append(param.square().sum())
        zero = next(iter(params.values())).new_zeros(())
        scale = self._scale if self._scale is not None else 1.0
        return dict(
            loss_l2sp_start=0.5 * self.alpha * scale * sum(pull, zero),
            loss_l2sp_new=0.5 * self.beta * scale * sum(new, zero),
            l2sp_scale=zero + scale)
