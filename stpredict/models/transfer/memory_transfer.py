"""Memory transfer with Transferable Memory Units (Yao et al., ICML 2020)."""
from typing import Dict, List, Optional, Sequence

import torch

from stpredict.registry import TRANSFERS
from .base_transfer import (BaseTransfer, LayerContext, TeacherRun,
                            sum_aux_over_layers)
from .source_models import (LockstepTeachers, build_sources,
                            check_teacher_precision, initial_states,
                            prepare_sources)


class MemoryBankRun(TeacherRun):
    """Give every TMU layer the matching memories of the teachers."""

    def __init__(self, teachers: LockstepTeachers, layer_map: Dict[int, int],
                 memory_state: str, num_layers: int) -> None:
        self.teachers = teachers
        self.layer_map = layer_map
        self.memory_state = memory_state
        self.num_layers = num_layers

    def step(self, step: int) -> List[Optional[LayerContext]]:
        states = self.teachers.advance(step)
        context: List[Optional[LayerContext]] = [None] * self.num_layers
        for layer, source_layer in self.layer_map.items():
            context[layer] = LayerContext(bank=[
                state['layers'][source_layer][self.memory_state]
                for state in states
            ])
        return context


@TRANSFERS.register_module()
class MemoryTransfer(BaseTransfer):
    """Distil the memories of frozen source models into the target (TMU).

    The student's neck has memory-bank cells (``TMUCell``, or
    ``MemoryTransferWrapper`` around any cell) in the layers that receive
    knowledge. During training the source models run in lockstep with the
    student (same frames in their own format, same scheduled-sampling
    masks, each feeding on its own predictions, frozen, under
    ``torch.inference_mode``, in ``teacher_precision``); at every step each
    TMU layer receives the teachers' memories of the matching layer, and
    the cells' distillation loss (TMU Eq. 4) enters the training loss with
    weight ``beta`` (Eq. 6). The student trains from
    scratch. Teachers are not needed at test time: the distillers and the
    transfer gates run on the student's own memory.

    The average transfer gate of every source and TMU layer is logged as
    ``gate_l<layer>_<source>`` (TMU Table 5).

    Args:
        sources (Sequence[dict]): One dict per source model:
            ``config`` (its config file), ``checkpoint`` (None: its best or
            last checkpoint in ``work_dirs/<config name>``), ``name`` and
            ``adapter`` (``dict(size=(H, W), channels=C)``: how target
            frames become its input; its own patch size applies after).
        beta (float): Weight of the distillation loss (TMU: 0.1, robust over
            1e-3..1). Defaults to 0.1.
        layer_map (Sequence[int], optional): For every memory-bank layer of
            the student (in order), the source layer whose memory it
            receives. None pairs layer ``l`` with layer ``l``. Defaults to
            None.
        memory_state (str): The teachers' state that forms the memory bank.
            Defaults to ``'c'``.
        teacher_precision (str): How the teachers compute (see
            :class:`~stpredict.models.transfer.LockstepTeachers`):
            ``'auto'`` (the student's autocast dtype under ``--amp``, else
            float32), ``'float32'``, ``'bfloat16'`` (also for a float32
            student: about half the teachers' cost on CPUs with bfloat16
            instructions, memories rounded to bfloat16 precision in the
            convolutions) or ``'float16'``. Defaults to ``'auto'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    owned_aux_losses = ('loss_distill', )

    def __init__(self,
                 sources: Sequence[dict],
                 beta: float = 0.1,
                 layer_map: Optional[Sequence[int]] = None,
                 memory_state: str = 'c',
                 teacher_precision: str = 'auto',
                 neck: Optional[torch.nn.Module] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(neck=neck, init_cfg=init_cfg)
        if beta < 0:
            raise ValueError(f'beta must be >= 0, got {beta}.')
        if neck is None:
            raise ValueError(
                'MemoryTransfer is built by the RecurrentPredictor, which '
                'passes its neck: set it as model.transfer in the config.')
        self.sources = build_sources(sources)
        self.beta = beta
        self.memory_state = memory_state
        self.teacher_precision = check_teacher_precision(teacher_precision)
        self.layer_map = self._map_layers(neck, layer_map)

    def _map_layers(self, neck: torch.nn.Module,
                    layer_map: Optional[Sequence[int]]) -> Dict[int, int]:
        """Pair the student's memory-bank layers with source layers."""
        layers = [
            layer for layer, cell in enumerate(neck.cells)
            if cell.uses_memory_bank
        ]
        if not layers:
            raise ValueError(
                'MemoryTransfer needs memory-bank cells in the target '
                "model's neck, e.g. cell=dict(type='TMUCell', num_sources="
                f"{len(self.sources)}) or cell=dict(type="
                "'MemoryTransferWrapper', cell=dict(type=...)).")
        for layer in layers:
            cell = neck.cells[layer]
            expected = getattr(cell, 'num_sources', len(self.sources))
            if expected != len(self.sources):
                raise ValueError(
                    f'Layer {layer} of the target has {expected} memory '
                    f'distillers but the transfer lists '
                    f'{len(self.sources)} sources. Set num_sources='
                    f'{len(self.sources)} in the cell config.')
        if layer_map is None:
            mapping = {layer: layer for layer in layers}
        else:
            if len(layer_map) != len(layers):
                raise ValueError(
                    f'layer_map has {len(layer_map)} entries but '
                    f'the target has {len(layers)} memory-bank layers '
                    f'({layers}).')
            mapping = dict(zip(layers, layer_map))
        for source in self.sources:
            model = source.build()
            depth = len(model.neck.cells)
            for layer, source_layer in mapping.items():
                if source_layer >= depth:
                    raise ValueError(
                        f'Target layer {layer} takes the memory of layer '
                        f'{source_layer} of source "{source.name}", which '
                        f'has only {depth} layers. Set layer_map.')
                names = model.neck.cells[source_layer].state_names
                if self.memory_state not in names:
                    raise ValueError(
                        f'Source "{source.name}" layer {source_layer} has '
                        f'states {names}, no "{self.memory_state}". Set '
                        'memory_state.')
        return mapping

    def aux_loss_weight(self, key: str) -> float:
        """``beta`` weights the distillation loss (Eq. 6)."""
        if key != 'loss_distill':
            return super().aux_loss_weight(key)
        return self.beta

    def aux_loss_weight_name(self, key: str) -> str:
        """The distillation weight is ``model.transfer.beta``."""
        if key != 'loss_distill':
            return super().aux_loss_weight_name(key)
        return 'model.transfer.beta'

    def setup(self, student: torch.nn.Module, frames: torch.Tensor) -> None:
        """Load the teachers and check their memories' shapes."""
        prepare_sources(self.sources, frames.device)
        self.check_shapes(student, frames)
        self.is_set_up = True

    def check_shapes(self, student: torch.nn.Module,
                     frames: torch.Tensor) -> None:
        """Source and target memories must have equal ``[C, H, W]``.

        Raises:
            ValueError: Naming the layer, the source, the two shapes and the
                fix.
        """
        target, source_states = initial_states(student, self.sources,
                                               frames)
        for source, source_state in zip(self.sources, source_states):
            for layer, source_layer in self.layer_map.items():
                name = getattr(student.neck.cells[layer], 'memory_state', 'c')
                mine = tuple(target['layers'][layer][name].shape[1:])
                theirs = tuple(source_state['layers'][source_layer][
                    self.memory_state].shape[1:])
                if mine != theirs:
                    raise ValueError(
                        f'Memory transfer: target layer {layer} has a memory '
                        f'of shape {mine} [C, H, W] but source '
                        f'"{source.name}" layer {source_layer} gives {theirs}.'
                        ' Fix: equal hidden_channels, and frames that reach '
                        "the same size after patching: set the source's "
                        'adapter size and/or the patch sizes so that H / '
                        'patch agrees (TMU Sec. 4).')

    def begin(self, student: torch.nn.Module, frames: torch.Tensor, masks,
              training: bool) -> Optional[TeacherRun]:
        """Teachers run only in training: test time needs no source."""
        if not training:
            return None
        prepare_sources(self.sources, frames.device)
        # the bank is only compared with (Eq. 4), never saved for backward
        teachers = LockstepTeachers(
            student, self.sources, frames, masks,
            precision=self.teacher_precision, inference=True)
        return MemoryBankRun(teachers, self.layer_map, self.memory_state,
                             len(student.neck.cells))

    def losses(self, student: torch.nn.Module,
               aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """``beta`` times the distillation loss (Eq. 6: averaged over
        steps, summed over TMU layers) and the average transfer gate per
        layer and source (logged)."""
        logs: Dict[str, torch.Tensor] = {}
        distill = sum_aux_over_layers(aux_per_step, 'loss_distill')
        if distill is not None:
            logs['loss_distill'] = self.beta * distill
        steps = max(len(aux_per_step), 1)
        for layer in self.layer_map:
            gates = [
                step_aux[layer]['transfer_gates'] for step_aux in aux_per_step
                if 'transfer_gates' in step_aux[layer]
            ]
            if not gates:
                continue
            mean = torch.stack(gates).sum(dim=0).detach() / steps
            for index, source in enumerate(self.sources):
                logs[f'gate_l{layer}_{source.name}'] = mean[index]
        return logs
