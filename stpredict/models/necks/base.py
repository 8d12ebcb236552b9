"""Shared machinery of the recurrent necks."""
import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from stpredict.registry import CELLS
from ..cells.base import BaseCell

NeckState = Dict[str, Any]


class BaseRecurrentNeck(BaseModule):
    """Stacks recurrent cells over layers for one time step.

    The neck owns the wiring between layers: what each layer receives as its
    input, how the zigzag memory ``M`` travels up the layers (and from the
    top layer back to layer 0 at the next step), and which tensor is a
    layer's diagonal input ``H^{l-1}_{t-1}``. Subclasses change the wiring
    (scales, samplers, skips) by overriding :meth:`layer_input`,
    :meth:`memory_to_layer` and :meth:`diagonal_to_layer`; cells never know
    where they sit.

    The state of one step is a dict ``{'layers': [states of layer 0, ...],
    'memory': M or None}``; it holds every per-layer state, so callers (e.g.
    a teacher that provides a memory bank) read whatever they need from it.

    Args:
        cell (dict | Sequence[dict]): Config of the cell of every layer, or
            one config per layer. ``in_channels`` and ``hidden_channels`` are
            filled in by the neck.
        in_channels (int): Channels of the neck's input.
        hidden_channels (int | Sequence[int]): Hidden channels of every
            layer, or one value per layer. Defaults to 64.
        num_layers (int): Number of layers. Defaults to 4.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 cell: Union[dict, Sequence[dict]],
                 in_channels: int,
                 hidden_channels: Union[int, Sequence[int]] = 64,
                 num_layers: int = 4,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}.')
        self.num_layers = num_layers
        self.in_channels = in_channels
        self.hidden_channels = self._per_layer(hidden_channels,
                                               'hidden_channels')
        cell_cfgs = self._per_layer(cell, 'cell')
        self.cells = nn.ModuleList()
        for layer, cell_cfg in enumerate(cell_cfgs):
            cfg = copy.deepcopy(dict(cell_cfg))
            cfg['in_channels'] = self.layer_in_channels(layer)
            cfg['hidden_channels'] = self.hidden_channels[layer]
            built = CELLS.build(cfg)
            if not isinstance(built, BaseCell):
                raise TypeError(
                    f'Layer {layer}: {type(built).__name__} is not a '
                    'stpredict cell (a subclass of BaseCell).')
            self.cells.append(built)
        self._check_memory_wiring()

    def _per_layer(self, value: Any, name: str) -> List[Any]:
        """Expand a value to one entry per layer, checking the length."""
        if isinstance(value, (dict, int)):
            return [value] * self.num_layers
        values = list(value)
        if len(values) != self.num_layers:
            raise ValueError(
                f'{name} has {len(values)} entries but num_layers is '
                f'{self.num_layers}: give one value for all layers or one '
                'per layer.')
        return values

    def layer_in_channels(self, layer: int) -> int:
        """Channels of the input of ``layer`` (the layer below's output)."""
        if layer == 0:
            return self.in_channels
        return self.hidden_channels[layer - 1]

    def _check_memory_wiring(self) -> None:
        """Layers that share the zigzag memory must agree on its channels."""
        channels = {
            layer: cell.memory_channels
            for layer, cell in enumerate(self.cells) if cell.uses_memory
        }
        if len(set(channels.values())) > 1:
            raise ValueError(
                'The zigzag memory M passes through every layer, so every '
                'cell that uses it needs the same memory channels; got '
                f'{channels} (layer: channels). Use equal hidden_channels.')

    @property
    def out_channels(self) -> int:
        """Channels of the neck's output (the top layer's output)."""
        return self.cells[-1].out_channels

    @property
    def uses_memory(self) -> bool:
        """Whether any layer carries the zigzag memory."""
        return any(cell.uses_memory for cell in self.cells)

    # ------------------------------------------------------------------
    # wiring, overridden by multi-scale necks
    # ------------------------------------------------------------------
    def layer_input(self, layer: int, x: torch.Tensor,
                    outputs: List[torch.Tensor]) -> torch.Tensor:
        """The input of ``layer`` at this step.

        Args:
            layer (int): Layer index.
            x (torch.Tensor): The neck's input at this step.
            outputs (list[torch.Tensor]): Outputs of layers ``0..layer-1``
                at this step.

        Returns:
            torch.Tensor: The input of the layer.
        """
        return x if layer == 0 else outputs[layer - 1]

    def memory_to_layer(self, memory: torch.Tensor, src_layer: int,
                        dst_layer: int) -> torch.Tensor:
        """Carry the zigzag memory from ``src_layer`` to ``dst_layer``.

        ``src_layer`` is -1 for the memory that enters layer 0 from the top
        layer of the previous step (at the top layer's scale).
        """
        return memory

    def diagonal_to_layer(self, hidden: torch.Tensor,
                          layer: int) -> torch.Tensor:
        """Bring ``H^{layer-1}_{t-1}`` to the scale of ``layer``."""
        return hidden

    def output(self, outputs: List[torch.Tensor]) -> torch.Tensor:
        """The neck's output from the layers' outputs at this step."""
        return outputs[-1]

    # ------------------------------------------------------------------
    def init_state(self, x: torch.Tensor) -> NeckState:
        """Zero states for every layer, from the neck's first input.

        Args:
            x (torch.Tensor): The neck's input ``[B, in_channels, H, W]``.

        Returns:
            dict: ``{'layers': [...], 'memory': M or None}``.
        """
        layer_states = []
        outputs: List[torch.Tensor] = []
        for layer, cell in enumerate(self.cells):
            layer_x = self.layer_input(layer, x, outputs)
            states = cell.init_states(layer_x)
            layer_states.append(states)
            outputs.append(states[cell.output_state])
        memory = None
        first_memory_layer = next(
            (layer for layer, cell in enumerate(self.cells)
             if cell.uses_memory), None)
        if first_memory_layer is not None:
            cell = self.cells[first_memory_layer]
            memory = cell.init_memory(
                self.layer_input(first_memory_layer, x, outputs))
        return dict(layers=layer_states, memory=memory)

    def forward(self, x: torch.Tensor,
                state: NeckState) -> Tuple[torch.Tensor, NeckState, List[dict]]:
        """One time step through all layers.

        Args:
            x (torch.Tensor): The neck's input at this step.
            state (dict): The state from :meth:`init_state` or the previous
                step.

        Returns:
            tuple: ``(output, new_state, aux)`` where ``aux`` is the list of
            the cells' aux dicts, one per layer.
        """
        prev_layers = state['layers']
        memory = state['memory']
        memory_layer = -1
        new_layers: List[Dict[str, torch.Tensor]] = []
        outputs: List[torch.Tensor] = []
        aux: List[dict] = []
        for layer, cell in enumerate(self.cells):
            layer_x = self.layer_input(layer, x, outputs)
            cell_memory = None
            if cell.uses_memory:
                cell_memory = self.memory_to_layer(memory, memory_layer, layer)
            diagonal = None
            if cell.uses_diagonal and layer > 0:
                below = self.cells[layer - 1]
                diagonal = self.diagonal_to_layer(
                    prev_layers[layer - 1][below.output_state], layer)
            states, new_memory, cell_aux = cell(
                layer_x, prev_layers[layer], memory=cell_memory,
                diagonal=diagonal)
            if cell.uses_memory:
                memory, memory_layer = new_memory, layer
            new_layers.append(states)
            outputs.append(states[cell.output_state])
            aux.append(cell_aux)
        return self.output(outputs), dict(
            layers=new_layers, memory=memory), aux
