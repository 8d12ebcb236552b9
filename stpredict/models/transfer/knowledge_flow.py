"""Knowledge flow from frozen teachers (Liu et al., ICLR 2019)."""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from stpredict.registry import TRANSFERS
from .base_transfer import BaseTransfer, TeacherRun
from .source_models import (LockstepTeachers, build_sources, initial_states,
                            prepare_sources)


class FeatureFlowRun(TeacherRun):
    """Add the weighted, transformed teacher features to the student's."""

    def __init__(self, transfer: 'KnowledgeFlow',
                 teachers: LockstepTeachers, num_layers: int) -> None:
        self.transfer = transfer
        self.teachers = teachers
        self.num_layers = num_layers
        self.shares = transfer.teacher_shares()

    def step(self, step: int) -> List[Optional[dict]]:
        states = self.teachers.advance(step)
        context: List[Optional[dict]] = [None] * self.num_layers
        for layer, source_layer in self.transfer.layer_map.items():
            residual = None
            for index, state in enumerate(states):
                feature = state['layers'][source_layer][
                    self.transfer.feature_state]
                flow = self.shares[layer, index] * self.transfer.transforms[
                    str(layer)][index](feature)
                residual = flow if residual is None else residual + flow
            context[layer] = dict(output_residual=residual)
        return context


@TRANSFERS.register_module()
class KnowledgeFlow(BaseTransfer):
    """Teachers' features flow into the student, then fade out.

    At every step the frozen teachers run in lockstep with the student. The
    output of student layer ``l`` (what goes up to the next layer, not its
    recurrent state) receives ``sum_m share[l, m] * T[l, m](h^m_l)``: the
    hidden state of the teachers' matching layer through a learned 1x1
    convolution ``T``, scaled by a learned share ``sigmoid(w[l, m])`` times a
    curriculum factor that falls linearly from 1 to 0 over the first
    ``curriculum_end`` of the run. A dependency loss
    ``dependency_weight * sum(share)`` pushes the shares down as well. Once
    the factor is 0 the teachers are no longer run and the student predicts
    alone, so the exported student needs no teacher.

    The training progress is kept in a buffer that is saved with the model:
    a trained (or resumed) model knows where its curriculum stands, also at
    test time, when no training iteration is running.

    Args:
        sources (Sequence[dict]): Source models, as for
            :class:`MemoryTransfer`.
        curriculum_end (float): Fraction of the run after which the teachers'
            share is 0. Defaults to 0.5.
        dependency_weight (float): Weight of the loss on the shares.
            Defaults to 0.01.
        initial_share (float): Learned share at the start (before the
            curriculum factor). Defaults to 0.5.
        layer_map (Sequence[int], optional): Source layer for every student
            layer; None pairs them one to one. Defaults to None.
        feature_state (str): The teachers' state that flows. Defaults to
            ``'h'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 sources: Sequence[dict],
                 curriculum_end: float = 0.5,
                 dependency_weight: float = 0.01,
                 initial_share: float = 0.5,
                 layer_map: Optional[Sequence[int]] = None,
                 feature_state: str = 'h',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 < curriculum_end <= 1:
            raise ValueError(
                f'curriculum_end is a fraction of the run in (0, 1], got '
                f'{curriculum_end}.')
        if not 0 < initial_share < 1:
            raise ValueError(
                f'initial_share must be in (0, 1), got {initial_share}.')
        self.sources = build_sources(sources)
        self.curriculum_end = curriculum_end
        self.dependency_weight = dependency_weight
        self.initial_share = initial_share
        self.feature_state = feature_state
        self._layer_map_cfg = list(layer_map) if layer_map else None
        self.layer_map: Dict[int, int] = {}
        self.transforms = nn.ModuleDict()
        self.share_logits = None
        self._shapes_checked = False
        self.register_buffer('progress', torch.zeros(()))

    def attach(self, student: torch.nn.Module) -> None:
        """Build one transform per student layer and source."""
        super().attach(student)
        num_layers = len(student.neck.cells)
        source_layers = self._layer_map_cfg or list(range(num_layers))
        if len(source_layers) != num_layers:
            raise ValueError(
                f'layer_map needs one source layer per target layer '
                f'({num_layers}), got {len(source_layers)}.')
        self.layer_map = dict(enumerate(source_layers))
        for layer, source_layer in self.layer_map.items():
            transforms = nn.ModuleList()
            for source in self.sources:
                cells = source.build().neck.cells
                if source_layer >= len(cells):
                    raise ValueError(
                        f'Target layer {layer} takes layer {source_layer} of '
                        f'source "{source.name}", which has {len(cells)} '
                        'layers. Set layer_map.')
                cell = cells[source_layer]
                if self.feature_state not in cell.state_names:
                    raise ValueError(
                        f'Source "{source.name}" layer {source_layer} has no '
                        f'state "{self.feature_state}" ({cell.state_names}).')
                transforms.append(
                    nn.Conv2d(cell.state_channels(self.feature_state),
                              student.neck.cells[layer].out_channels, 1))
            self.transforms[str(layer)] = transforms
        logit = math.log(self.initial_share / (1 - self.initial_share))
        self.share_logits = nn.Parameter(
            torch.full((num_layers, len(self.sources)), logit))

    def update_progress(self) -> None:
        """Record the run's progress (from mmengine's message hub)."""
        self.progress.fill_(self.training_progress())

    def curriculum_factor(self) -> float:
        """1 at the start, falling linearly to 0 at ``curriculum_end``."""
        progress = float(self.progress)
        return max(0.0, 1.0 - progress / self.curriculum_end)

    def teacher_shares(self) -> torch.Tensor:
        """``[layers, sources]``: how much of each teacher flows in."""
        return torch.sigmoid(self.share_logits) * self.curriculum_factor()

    def begin(self, student: torch.nn.Module, frames: torch.Tensor, masks,
              training: bool) -> Optional[TeacherRun]:
        """Teachers run while their share is not zero (also at inference)."""
        if training:
            self.update_progress()
        if self.curriculum_factor() == 0.0:
            return None
        prepare_sources(self.sources, frames.device)
        if not self._shapes_checked:
            self.check_shapes(student, frames)
        teachers = LockstepTeachers(student, self.sources, frames, masks)
        return FeatureFlowRun(self, teachers, len(student.neck.cells))

    def check_shapes(self, student: torch.nn.Module,
                     frames: torch.Tensor) -> None:
        """Teacher features must have the student layers' spatial size."""
        target, source_states = initial_states(student, self.sources,
                                               frames)
        for source, state in zip(self.sources, source_states):
            for layer, source_layer in self.layer_map.items():
                cell = student.neck.cells[layer]
                mine = tuple(target['layers'][layer][
                    cell.output_state].shape[-2:])
                theirs = tuple(state['layers'][source_layer][
                    self.feature_state].shape[-2:])
                if mine != theirs:
                    raise ValueError(
                        f'Knowledge flow: target layer {layer} works at '
                        f'{mine} (H, W) but source "{source.name}" layer '
                        f'{source_layer} at {theirs}. Fix: set the source\'s '
                        'adapter size and/or the patch sizes so that the '
                        'feature maps agree.')
        self._shapes_checked = True

    def losses(self, student: torch.nn.Module,
               aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """The dependency loss and the logged mean teacher share."""
        shares = self.teacher_shares()
        return dict(
            loss_kf_dependency=self.dependency_weight * shares.sum(),
            kf_teacher_share=shares.detach().mean())
