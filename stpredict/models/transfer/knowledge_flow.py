"""Knowledge flow from frozen teachers (Liu et al., ICLR 2019)."""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from stpredict.registry import TRANSFERS
from .base_transfer import BaseTransfer, LayerContext, TeacherRun
from .source_models import (LockstepTeachers, build_sources, initial_states,
                            prepare_sources)


class FeatureFlowRun(TeacherRun):
    """Mix the transformed teacher features into the student's outputs."""

    def __init__(self, transfer: 'KnowledgeFlow',
                 teachers: LockstepTeachers, num_layers: int) -> None:
        self.transfer = transfer
        self.teachers = teachers
        self.num_layers = num_layers
        self.weights = transfer.layer_weights()

    def step(self, step: int) -> List[Optional[LayerContext]]:
        states = self.teachers.advance(step)
        context: List[Optional[LayerContext]] = [None] * self.num_layers
        for layer, source_layer in self.transfer.layer_map.items():
            residual = None
            for index, state in enumerate(states):
                feature = state['layers'][source_layer][
                    self.transfer.feature_state]
                flow = self.weights[layer, index + 1] * \
                    self.transfer.transforms[str(layer)][index](feature)
                residual = flow if residual is None else residual + flow
            context[layer] = LayerContext(
                output_scale=self.weights[layer, 0], output_residual=residual)
        return context


@TRANSFERS.register_module()
class KnowledgeFlow(BaseTransfer):
    r"""Teachers' features flow into the student, then fade out.

    At every step the frozen teachers run in lockstep with the student. The
    output of student layer ``l`` (what goes up to the next layer; its
    recurrent states are its own) becomes a normalised mixture (Liu et al.,
    Eq. 1-2)

    .. math::
        \hat{h}_l = w_{l,0}\, h_l + \sum_m w_{l,m}\, T_{l,m}(h^m_l),
        \qquad w_{l,m} = \kappa\, p_{l,m}\ (m \ge 1),
        \qquad w_{l,0} = 1 - \sum_{m \ge 1} w_{l,m}

    where ``h^m_l`` is the hidden state of teacher ``m``'s matching layer,
    ``T`` a learned 1x1 convolution, ``p_l = softmax(theta_l)`` learned
    weights over the student and the ``M`` teachers (normalised per layer,
    starting at ``1 - initial_share`` for the student and
    ``initial_share / M`` per teacher), and ``kappa`` a curriculum factor
    falling linearly from 1 to 0 over the first ``curriculum_end`` of the
    run. The dependency loss ``dependency_weight * sum_{l, m >= 1} w_{l,m}``
    pushes the teachers' weights down (Liu et al.'s curriculum term); the
    linear factor guarantees that they reach exactly 0. Once
    ``kappa = 0`` the teachers are no longer run and every layer outputs its
    own ``h_l``: the exported student needs no teacher.

    The progress counts the current iteration (see
    :meth:`BaseTransfer.training_progress`): with ``curriculum_end=1`` the
    last iteration already runs without teachers. It is kept in a buffer
    saved with the model, so a trained (or resumed) model knows where its
    curriculum stands, also at test time.

    Args:
        sources (Sequence[dict]): Source models, as for
            :class:`MemoryTransfer`.
        curriculum_end (float): Fraction of the run after which the teachers'
            weight is 0. Defaults to 0.5.
        dependency_weight (float): Weight of the loss on the teachers'
            weights. Defaults to 0.01.
        initial_share (float): The teachers' total weight ``sum_m p_{l,m}``
            at the start. Defaults to 0.5.
        layer_map (Sequence[int], optional): Source layer for every student
            layer; None pairs them one to one. Defaults to None.
        feature_state (str): The teachers' state that flows. Defaults to
            ``'h'``.
        neck (nn.Module): The student's neck (passed by the predictor).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 sources: Sequence[dict],
                 curriculum_end: float = 0.5,
                 dependency_weight: float = 0.01,
                 initial_share: float = 0.5,
                 layer_map: Optional[Sequence[int]] = None,
                 feature_state: str = 'h',
                 neck: Optional[torch.nn.Module] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(neck=neck, init_cfg=init_cfg)
        if not 0 < curriculum_end <= 1:
            raise ValueError(
                f'curriculum_end is a fraction of the run in (0, 1], got '
                f'{curriculum_end}.')
        if not 0 < initial_share < 1:
            raise ValueError(
                f'initial_share must be in (0, 1), got {initial_share}.')
        if neck is None:
            raise ValueError(
                'KnowledgeFlow is built by the RecurrentPredictor, which '
                'passes its neck: set it as model.transfer in the config.')
        self.sources = build_sources(sources)
        self.curriculum_end = curriculum_end
        self.dependency_weight = dependency_weight
        self.initial_share = initial_share
        self.feature_state = feature_state
        num_layers = len(neck.cells)
        source_layers = list(layer_map) if layer_map else list(
            range(num_layers))
        if len(source_layers) != num_layers:
            raise ValueError(
                f'layer_map needs one source layer per target layer '
                f'({num_layers}), got {len(source_layers)}.')
        self.layer_map: Dict[int, int] = dict(enumerate(source_layers))
        self.transforms = nn.ModuleDict()
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
                              neck.cells[layer].out_channels, 1))
            self.transforms[str(layer)] = transforms
        num_sources = len(self.sources)
        start = [math.log(1 - initial_share)] + [
            math.log(initial_share / num_sources)
        ] * num_sources
        self.weight_logits = nn.Parameter(
            torch.tensor([start] * num_layers, dtype=torch.float32))
        self.register_buffer('progress', torch.zeros(()))

    @property
    def needed_at_test(self) -> bool:
        """The teachers feed the student until the curriculum has ended."""
        return self.curriculum_factor() > 0.0

    def update_progress(self) -> None:
        """Record the run's progress (from mmengine's message hub)."""
        self.progress.fill_(self.training_progress())

    def curriculum_factor(self) -> float:
        """1 at the start, falling linearly to exactly 0 at
        ``curriculum_end``."""
        progress = float(self.progress)
        return max(0.0, 1.0 - progress / self.curriculum_end)

    def layer_weights(self) -> torch.Tensor:
        """``[layers, 1 + M]``: the student's and each teacher's weight.

        Column 0 is the student's (``1 - sum`` of the teachers'); each row
        sums to 1.
        """
        probs = torch.softmax(self.weight_logits, dim=1)
        teachers = probs[:, 1:] * self.curriculum_factor()
        student = 1 - teachers.sum(dim=1, keepdim=True)
        return torch.cat([student, teachers], dim=1)

    def teacher_shares(self) -> torch.Tensor:
        """``[layers, sources]``: how much of each teacher flows in."""
        return self.layer_weights()[:, 1:]

    def setup(self, student: torch.nn.Module, frames: torch.Tensor) -> None:
        """Load the teachers and check their features' sizes."""
        prepare_sources(self.sources, frames.device)
        self.check_shapes(student, frames)
        self.is_set_up = True

    def begin(self, student: torch.nn.Module, frames: torch.Tensor, masks,
              training: bool) -> Optional[TeacherRun]:
        """Teachers run while their weight is not zero (also at inference)."""
        if training:
            self.update_progress()
        if self.curriculum_factor() == 0.0:
            return None
        prepare_sources(self.sources, frames.device)
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

    def losses(self, student: torch.nn.Module,
               aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """The dependency loss and the logged mean teacher weight."""
        shares = self.teacher_shares()
        return dict(
            loss_kf_dependency=self.dependency_weight * shares.sum(),
            kf_teacher_share=shares.detach().sum(dim=1).mean(),
            kf_curriculum=shares.new_tensor(self.curriculum_factor()))
