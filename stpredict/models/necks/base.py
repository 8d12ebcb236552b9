"""Shared machinery of the recurrent necks: layers, scales, samplers, skips."""
import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from stpredict.registry import CELLS
from ..cells.base import BaseCell
from .layer_context import LayerContext

NeckState = Dict[str, Any]

SKIPS = ('none', 'unet', 'unet3+', 'dense')
DOWNSAMPLES = ('max', 'avg')
UPSAMPLES = ('bilinear', 'nearest')


class BaseRecurrentNeck(BaseModule):
    """Stacks recurrent cells over layers (and scales) for one time step.

    The neck owns the wiring between layers; cells never know where they sit:

    - **scales**: layer ``l`` runs at ``1 / scales[l]`` of the input's
      resolution (powers of two). Between layers the output of the layer
      below is down-sampled (max pooling by default) or up-sampled (bilinear
      by default) to the next layer's scale. Temporal states stay at their
      layer's scale.
    - **skips**: extra inputs added to a layer's input, resampled to its
      scale (see ``skip``); they add no parameters.
    - the zigzag memory ``M`` goes up the layers within a step and from the
      top layer to layer 0 at the next step, resampled like the outputs but
      without skips; the diagonal input ``H^{l-1}_{t-1}`` of layer ``l`` is
      resampled from layer ``l-1``'s scale.
    - the neck's output is the top layer's output at the input's scale.

    The state of one step is ``{'layers': [states of layer 0, ...],
    'memory': M or None}``; it holds every per-layer state, so callers (e.g.
    a teacher that provides a memory bank) read whatever they need from it.

    Args:
        cell (dict | Sequence[dict]): Config of the cell of every layer, or
            one config per layer. ``in_channels`` and ``hidden_channels`` are
            filled in by the neck (set ``hidden_channels`` here, on the
            neck); a cell config that sets another value of either is
            refused, naming it.
        in_channels (int): Channels of the neck's input.
        hidden_channels (int | Sequence[int]): Hidden channels of every
            layer, or one value per layer. Defaults to 64.
        num_layers (int): Number of layers. Defaults to 4.
        scales (Sequence[int], optional): Down-sampling factor of every
            layer (1, 2, 4, ...). None runs every layer at full resolution.
            Defaults to None.
        skip (str): Skip wiring, only between layers of different scales:
            ``'none'``; ``'unet'`` (MS-RNN: a layer whose input is
            up-sampled also receives the output of the latest earlier layer
            at its scale); ``'unet3+'`` (MS-RNN Table 10, after UNet 3+'s
            full-scale skips, see :meth:`unet3plus_sources`: each decoder
            layer receives the outputs of every encoder layer at its scale
            or finer, down-sampled, and of every earlier decoder layer,
            up-sampled; needs scales that go down and then up);
            ``'dense'`` (fully connected: every layer receives all earlier
            layers' outputs, resampled). Defaults to ``'none'``.
        downsample (str): ``'max'`` or ``'avg'`` pooling. Defaults to
            ``'max'``.
        upsample (str): ``'bilinear'`` (``align_corners=False``) or
            ``'nearest'`` interpolation. Defaults to ``'bilinear'``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 cell: Union[dict, Sequence[dict]],
                 in_channels: int,
                 hidden_channels: Union[int, Sequence[int]] = 64,
                 num_layers: int = 4,
                 scales: Optional[Sequence[int]] = None,
                 skip: str = 'none',
                 downsample: str = 'max',
                 upsample: str = 'bilinear',
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}.')
        self.num_layers = num_layers
        self.in_channels = in_channels
        self.hidden_channels = self._per_layer(hidden_channels,
                                               'hidden_channels')
        self.scales = self._check_scales(scales)
        if skip not in SKIPS:
            raise ValueError(f'skip must be one of {SKIPS}, got {skip!r}.')
        if downsample not in DOWNSAMPLES:
            raise ValueError(f'downsample must be one of {DOWNSAMPLES}, got '
                             f'{downsample!r}.')
        if upsample not in UPSAMPLES:
            raise ValueError(f'upsample must be one of {UPSAMPLES}, got '
                             f'{upsample!r}.')
        self.skip = skip
        self.downsample = downsample
        self.upsample = upsample
        self.skip_sources = self._skip_sources()
        self._check_skip_channels()

        cell_cfgs = self._per_layer(cell, 'cell')
        self.cells = nn.ModuleList()
        for layer, cell_cfg in enumerate(cell_cfgs):
            cfg = copy.deepcopy(dict(cell_cfg))
            cfg.update(self._cell_channels(layer, cfg))
            built = CELLS.build(cfg)
            if not isinstance(built, BaseCell):
                raise TypeError(
                    f'Layer {layer}: {type(built).__name__} is not a '
                    'stpredict cell (a subclass of BaseCell).')
            self.cells.append(built)
        self._check_memory_wiring()

    # ------------------------------------------------------------------
    # construction checks
    # ------------------------------------------------------------------
    def _cell_channels(self, layer: int, cfg: dict) -> Dict[str, int]:
        """The channels the neck gives the cell of ``layer``, refusing a
        different value in the cell's own config (it would be dropped)."""
        channels = dict(
            in_channels=self.layer_in_channels(layer),
            hidden_channels=self.hidden_channels[layer])
        fixes = dict(
            in_channels='Remove it from the cell config: layer 0 reads the '
            "neck's input (the stem's out_channels, or the frame channels "
            'without a stem), every other layer the hidden_channels of the '
            'layer below (set neck.hidden_channels).',
            hidden_channels='Set neck.hidden_channels instead (one value for '
            'all layers, or one per layer, e.g. hidden_channels=[64, 32]) and '
            'remove it from the cell config.')
        for name, value in channels.items():
            if name in cfg and cfg[name] != value:
                raise ValueError(
                    f'{type(self).__name__}: the cell config of layer {layer} '
                    f"({cfg.get('type')}) sets {name}={cfg[name]!r}, but the "
                    f'neck sets every cell\'s {name} ({value} for this layer) '
                    f'and would drop it. {fixes[name]}')
        return channels

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

    def _check_scales(self, scales: Optional[Sequence[int]]) -> List[int]:
        if scales is None:
            return [1] * self.num_layers
        scales = [int(s) for s in self._per_layer(scales, 'scales')]
        for scale in scales:
            if scale < 1 or scale & (scale - 1):
                raise ValueError(
                    f'scales must be powers of two (1, 2, 4, ...), got '
                    f'{scales}.')
        return scales

    def _skip_sources(self) -> List[List[int]]:
        """For every layer, the earlier layers whose outputs are added."""
        if self.skip == 'unet3+':
            return self.unet3plus_sources(self.scales)
        sources: List[List[int]] = []
        for layer in range(self.num_layers):
            upsampled = (layer > 0
                         and self.scales[layer] < self.scales[layer - 1])
            earlier = list(range(layer - 1))
            if self.skip == 'dense' and layer > 0:
                sources.append(earlier)
            elif self.skip == 'unet' and upsampled:
                same = [j for j in earlier
                        if self.scales[j] == self.scales[layer]]
                sources.append(same[-1:])
            else:
                sources.append([])
        return sources

    @staticmethod
    def unet3plus_sources(scales: Sequence[int]) -> List[List[int]]:
        """Skip sources of MS-RNN's UNet 3+ variant for a pyramid.

        The layers up to the last one at the coarsest scale form the encoder
        (that last one, the bottom, is also the first decoder layer); the
        bottom and the layers after it form the decoder. A decoder layer
        ``l`` adds, besides the output of layer ``l-1``, the outputs of

        - every encoder layer at ``l``'s scale or finer (max pooled down),
        - every earlier decoder layer (bilinearly up-sampled).

        For 6 layers at ``[1, 2, 4, 4, 2, 1]`` this is MS-RNN's wiring:
        layer 3 reads ``pool_4(y0) + pool_2(y1) + y2``, layer 4
        ``up_2(y3) + y1 + pool_2(y0)`` and layer 5
        ``up_2(y4) + y0 + up_4(y3)``; layers 1 and 2 have no skips.

        Args:
            scales (Sequence[int]): Down-sampling factor of every layer.

        Returns:
            list[list[int]]: For every layer, the layers whose outputs are
            added to its input (the layer below is not listed).

        Raises:
            ValueError: If the scales do not go down (coarser) to one level
                and then back up, e.g. ``[1, 2, 4, 4, 2, 1]``.
        """
        scales = list(scales)
        peak = max(scales)
        first = scales.index(peak)
        bottom = len(scales) - 1 - scales[::-1].index(peak)
        down, up = scales[:first + 1], scales[bottom:]
        going_down = all(a <= b for a, b in zip(down, down[1:]))
        going_up = all(a >= b for a, b in zip(up, up[1:]))
        flat = all(s == peak for s in scales[first:bottom + 1])
        if not (going_down and going_up and flat) or peak == min(scales):
            raise ValueError(
                "skip='unet3+' needs a pyramid whose scales go down to one "
                'coarsest level and then back up, e.g. [1, 2, 4, 4, 2, 1] '
                f'(mirror_pyramid_scales), got {scales}. Use another skip '
                'or such scales.')
        sources: List[List[int]] = []
        for layer, scale in enumerate(scales):
            if layer < bottom:
                sources.append([])
                continue
            encoder = [j for j in range(min(layer - 1, bottom))
                       if scales[j] <= scale]
            decoder = list(range(bottom, layer - 1))
            sources.append(encoder + decoder)
        return sources

    def _check_skip_channels(self) -> None:
        for layer, sources in enumerate(self.skip_sources):
            expected = self.layer_in_channels(layer)
            for source in sources:
                if self.hidden_channels[source] != expected:
                    raise ValueError(
                        f'Skip {source} -> {layer} adds a '
                        f'{self.hidden_channels[source]}-channel output to a '
                        f'{expected}-channel input; skips need equal '
                        "channels. Use equal hidden_channels or skip='none'.")

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
    def size_divisor(self) -> int:
        """Frame sizes (at the neck's input) must divide by this."""
        return max(self.scales)

    def layer_in_channels(self, layer: int) -> int:
        """Channels of the input of ``layer`` (the layer below's output)."""
        if layer == 0:
            return self.in_channels
        return self.hidden_channels[layer - 1]

    @property
    def out_channels(self) -> int:
        """Channels of the neck's output (the top layer's output)."""
        return self.cells[-1].out_channels

    @property
    def uses_memory(self) -> bool:
        """Whether any layer carries the zigzag memory."""
        return any(cell.uses_memory for cell in self.cells)

    # ------------------------------------------------------------------
    # sampling and wiring
    # ------------------------------------------------------------------
    def resample(self, x: torch.Tensor, src_scale: int,
                 dst_scale: int) -> torch.Tensor:
        """Bring ``x`` from scale ``1/src_scale`` to ``1/dst_scale``."""
        if src_scale == dst_scale:
            return x
        if dst_scale > src_scale:
            factor = dst_scale // src_scale
            if self.downsample == 'max':
                return F.max_pool2d(x, factor)
            return F.avg_pool2d(x, factor)
        factor = src_scale // dst_scale
        if self.upsample == 'bilinear':
            return F.interpolate(
                x, scale_factor=factor, mode='bilinear', align_corners=False)
        return F.interpolate(x, scale_factor=factor, mode='nearest')

    def layer_input(self, layer: int, x: torch.Tensor,
                    outputs: List[torch.Tensor]) -> torch.Tensor:
        """The input of ``layer`` at this step.

        Args:
            layer (int): Layer index.
            x (torch.Tensor): The neck's input at this step.
            outputs (list[torch.Tensor]): Outputs of layers ``0..layer-1``
                at this step.

        Returns:
            torch.Tensor: The input of the layer, at its scale.
        """
        scale = self.scales[layer]
        if layer == 0:
            return self.resample(x, 1, scale)
        layer_x = self.resample(outputs[layer - 1], self.scales[layer - 1],
                                scale)
        for source in self.skip_sources[layer]:
            layer_x = layer_x + self.resample(outputs[source],
                                              self.scales[source], scale)
        return layer_x

    def memory_to_layer(self, memory: torch.Tensor, src_layer: int,
                        dst_layer: int) -> torch.Tensor:
        """Carry the zigzag memory from ``src_layer`` to ``dst_layer``.

        ``src_layer`` is -1 for the memory that enters from the top memory
        layer of the previous step.
        """
        src = self._memory_source_scale if src_layer < 0 else self.scales[
            src_layer]
        return self.resample(memory, src, self.scales[dst_layer])

    @property
    def _memory_source_scale(self) -> int:
        """Scale of the memory handed from one step to the next."""
        memory_layers = [
            layer for layer, cell in enumerate(self.cells) if cell.uses_memory
        ]
        return self.scales[memory_layers[-1]] if memory_layers else 1

    def diagonal_to_layer(self, hidden: torch.Tensor,
                          layer: int) -> torch.Tensor:
        """Bring ``H^{layer-1}_{t-1}`` to the scale of ``layer``."""
        return self.resample(hidden, self.scales[layer - 1],
                             self.scales[layer])

    def output(self, outputs: List[torch.Tensor]) -> torch.Tensor:
        """The neck's output: the top layer's, at the input's scale."""
        return self.resample(outputs[-1], self.scales[-1], 1)

    # ------------------------------------------------------------------
    def check_input_size(self, x: torch.Tensor) -> None:
        """Frames must divide by every layer's down-sampling factor."""
        height, width = x.shape[-2:]
        divisor = self.size_divisor
        if height % divisor or width % divisor:
            raise ValueError(
                f'{type(self).__name__} with scales {self.scales} needs '
                f'feature maps whose height and width divide by {divisor}, '
                f'got {height}x{width} (frame size / patch size). Fix: '
                'resize or crop the frames, change the patch size, or use '
                'fewer down-sampling levels.')

    def init_state(self, x: torch.Tensor) -> NeckState:
        """Zero states for every layer, from the neck's first input.

        Args:
            x (torch.Tensor): The neck's input ``[B, in_channels, H, W]``.

        Returns:
            dict: ``{'layers': [...], 'memory': M or None}``.
        """
        self.check_input_size(x)
        layer_states = []
        outputs: List[torch.Tensor] = []
        memory = None
        for layer, cell in enumerate(self.cells):
            layer_x = self.layer_input(layer, x, outputs)
            states = cell.init_states(layer_x)
            layer_states.append(states)
            outputs.append(states[cell.output_state])
            if cell.uses_memory and memory is None:
                # held at the scale it has when it is handed to the next step
                memory = self.resample(
                    cell.init_memory(layer_x), self.scales[layer],
                    self._memory_source_scale)
        return dict(layers=layer_states, memory=memory)

    def forward(self,
                x: torch.Tensor,
                state: NeckState,
                layer_context: Optional[Sequence[Optional[dict]]] = None
                ) -> Tuple[torch.Tensor, NeckState, List[dict]]:
        """One time step through all layers.

        Args:
            x (torch.Tensor): The neck's input at this step.
            state (dict): The state from :meth:`init_state` or the previous
                step.
            layer_context (Sequence[LayerContext | None], optional):
                Per-layer extra inputs from a transfer method
                (:class:`~stpredict.models.transfer.LayerContext`): ``bank``
                (a list of source memories, passed to cells with
                ``uses_memory_bank``), ``output_scale`` and
                ``output_residual`` (the layer's output becomes
                ``output_scale * output + output_residual`` before it goes
                up, e.g. knowledge flowing from teachers; the layer's
                recurrent states are not changed). Defaults to None.

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
            context = layer_context[layer] if layer_context else None
            if isinstance(context, dict):  # a plain dict of the same fields
                context = LayerContext(**context)
            layer_x = self.layer_input(layer, x, outputs)
            kwargs = {}
            if cell.uses_memory:
                kwargs['memory'] = self.memory_to_layer(
                    memory, memory_layer, layer)
            if cell.uses_diagonal and layer > 0:
                below = self.cells[layer - 1]
                kwargs['diagonal'] = self.diagonal_to_layer(
                    prev_layers[layer - 1][below.output_state], layer)
            if cell.uses_memory_bank and context is not None:
                kwargs['bank'] = context.bank
            states, new_memory, cell_aux = cell(layer_x, prev_layers[layer],
                                                **kwargs)
            if cell.uses_memory:
                memory, memory_layer = new_memory, layer
            new_layers.append(states)
            output = states[cell.output_state]
            if context is not None:
                if context.output_scale is not None:
                    output = context.output_scale * output
                if context.output_residual is not None:
                    output = output + context.output_residual
            outputs.append(output)
            aux.append(cell_aux)
        return self.output(outputs), dict(
            layers=new_layers, memory=memory), aux
