"""The contract of a transfer method."""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModule

from ..necks.layer_context import LayerContext


class TeacherRun(metaclass=ABCMeta):
    """What a transfer method runs next to the student during one unroll."""

    @abstractmethod
    def step(self, step: int) -> List[Optional[LayerContext]]:
        """Advance the teachers to ``step``, before the student's step.

        Args:
            step (int): The time step.

        Returns:
            list[LayerContext | None]: One entry per layer of the student's
            neck (None: nothing for that layer).
        """


class BaseTransfer(BaseModule):
    """How knowledge from source models enters the training of a target.

    A transfer method is a child module of the
    :class:`~stpredict.models.predictors.RecurrentPredictor`; its own learnable
    parts (if any) are built in ``__init__`` from the student's neck (passed
    as ``neck``), trained and saved with the student. The student is passed
    explicitly to every call; the method keeps no reference to it. The
    predictor calls:

    - :meth:`init_student` from its own ``init_weights``, after the student's
      weights are initialised (finetuning loads the source weights here; a
      resumed checkpoint is loaded over them afterwards);
    - :meth:`setup` once before the first training iteration
      (:class:`~stpredict.engine.hooks.PreflightCheckHook` does it with the
      first training batch's shape; outside a Runner the first training
      unroll does it): load the frozen teachers, log each one's checkpoint
      path and sha256, and check that the tensors they exchange with the
      student agree in shape;
    - :meth:`begin` at the start of every unroll; a method with teachers
      returns a :class:`TeacherRun` that steps the frozen source models in
      lockstep with the student and hands each layer a
      :class:`LayerContext`;
    - :meth:`losses` after a training unroll, for extra loss terms (keys
      without ``loss`` are only logged).

    Auxiliary losses that the cells emit for the transfer (e.g. TMU's
    ``loss_distill``) are listed in :attr:`owned_aux_losses`: the transfer
    weights them in :meth:`losses`, the predictor does not.

    Frozen source models are never registered as sub-modules: they stay out
    of the optimiser, of ``state_dict`` (the saved checkpoint) and of DDP.

    Args:
        neck (nn.Module, optional): The student's neck, to size the
            method's own parameters. The predictor passes it. Defaults to
            None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    #: aux terms of the cells that this method weights itself
    owned_aux_losses: Tuple[str, ...] = ()

    def __init__(self,
                 neck: Optional[torch.nn.Module] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.is_set_up = False

    @property
    def needed_at_test(self) -> bool:
        """Whether the trained student still needs its sources to forecast.

        False for every method whose student runs alone at test time (all of
        stpredict's once their training is complete).
        """
        return False

    def aux_loss_weight(self, key: str) -> float:
        """The weight this method gives the owned aux loss ``key``."""
        raise KeyError(f'{type(self).__name__} does not weight {key!r}.')

    def aux_loss_weight_name(self, key: str) -> str:
        """The config path that sets the weight of ``key``."""
        raise KeyError(f'{type(self).__name__} does not weight {key!r}.')

    def init_student(self, student: torch.nn.Module) -> None:
        """Initialise the student from its sources (nothing by default).

        Args:
            student (nn.Module): The predictor that owns this method.
        """

    def setup(self, student: torch.nn.Module, frames: torch.Tensor) -> None:
        """Load the teachers and check shapes, once, before training.

        Args:
            student (nn.Module): The predictor.
            frames (torch.Tensor): Patched frames of the training data's
                shape ``[B, T, C', H', W']`` (a single frame suffices).
        """
        self.is_set_up = True

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
        """Completed share of the run in ``[0, 1]``, counting this iteration.

        mmengine's ``RuntimeInfoHook`` records the 0-based index of the
        iteration about to run (``iter``) and the run length before every
        iteration; during iteration ``i`` the progress is
        ``(i + 1) / max_iters``, so the last iteration is at 1 (a schedule
        that ends at 1 is complete in the last iteration and in the saved
        model). Outside a run it is 0.
        """
        hub = MessageHub.get_current_instance()
        iteration = hub.get_info('iter', None)
        max_iters = hub.get_info('max_iters', 0) or 0
        if iteration is None or not max_iters:
            return 0.0
        return min(1.0, (iteration + 1) / max_iters)


def sum_aux_over_layers(aux_per_step: List[List[dict]], key: str,
                        layers=None) -> Optional[torch.Tensor]:
    """Sum ``key`` of the cells' aux over layers, averaged over steps.

    Args:
        aux_per_step (list[list[dict]]): The cells' aux per step and layer.
        key (str): The aux entry.
        layers (Iterable[int], optional): Only these layers. Defaults to all.

    Returns:
        torch.Tensor | None: The mean over steps of the per-step sum over
        layers, or None if no layer reported ``key``.
    """
    total = None
    for step_aux in aux_per_step:
        for layer, layer_aux in enumerate(step_aux):
            if layers is not None and layer not in layers:
                continue
            value = layer_aux.get(key)
            if value is not None:
                total = value if total is None else total + value
    if total is None:
        return None
    return total / max(len(aux_per_step), 1)
