"""The contract of a transfer method."""
import weakref
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModule


class TeacherRun(metaclass=ABCMeta):
    """What a transfer method runs next to the student during one unroll."""

    @abstractmethod
    def step(self, step: int) -> Optional[List[Optional[dict]]]:
        """Advance the teachers to ``step``, before the student's step.

        Args:
            step (int): The time step.

        Returns:
            list[dict | None] | None: The per-layer context the student's
            neck receives (see :meth:`BaseRecurrentNeck.forward`).
        """


class BaseTransfer(BaseModule):
    """How knowledge from source models enters the training of a target.

    A transfer method is a child module of the
    :class:`~stpredict.models.predictors.RecurrentPredictor` (its own
    learnable parts, if any, are trained and saved with the student). The
    predictor calls:

    - :meth:`attach` once, when the predictor is built;
    - :meth:`init_weights` through mmengine's weight initialisation, before
      training starts (and before a resumed checkpoint is loaded over it):
      finetuning loads the source weights here;
    - :meth:`begin` at the start of every unroll; a method with teachers
      returns a :class:`TeacherRun` that steps frozen source models in
      lockstep with the student;
    - :meth:`losses` after a training unroll, for extra loss terms (keys
      without ``loss`` are only logged).

    Frozen source models are never registered as sub-modules: they stay out
    of the optimiser, of ``state_dict`` (the saved checkpoint) and of DDP.

    Args:
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self._student_ref = None

    def attach(self, student: torch.nn.Module) -> None:
        """Remember the student (weakly, to avoid a module cycle).

        Args:
            student (nn.Module): The predictor that owns this method.
        """
        self._student_ref = weakref.ref(student)

    @property
    def student(self) -> torch.nn.Module:
        """The predictor this method is attached to."""
        student = self._student_ref() if self._student_ref else None
        if student is None:
            raise RuntimeError(
                f'{type(self).__name__} is not attached to a predictor.')
        return student

    def begin(self, student: torch.nn.Module, frames: torch.Tensor,
              masks, training: bool) -> Optional[TeacherRun]:
        """Start an unroll; return what runs next to the student, if any.

        Args:
            student (nn.Module): The predictor.
            frames (torch.Tensor): The student's patched frames.
            masks (SamplingMasks, optional): The scheduled-sampling masks of
                this unroll (teachers use the same).
            training (bool): Whether this is a training unroll.

        Returns:
            TeacherRun | None: None for methods without teachers.
        """
        return None

    def losses(self, student: torch.nn.Module,
               aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """Extra loss terms of a training unroll.

        Args:
            student (nn.Module): The predictor.
            aux_per_step (list[list[dict]]): The cells' aux per step and
                layer.

        Returns:
            dict[str, torch.Tensor]: Extra terms (none by default).
        """
        return {}

    @staticmethod
    def training_progress() -> float:
        """The run's progress in ``[0, 1]`` from mmengine's message hub.

        mmengine's ``RuntimeInfoHook`` records the iteration and the run
        length before every iteration. Outside a run it is 0.
        """
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter', 0) or 0
        max_iters = hub.get_info('max_iters', 0) or 0
        if not max_iters:
            return 0.0
        return min(1.0, iteration / max_iters)
