"""The contract every recurrent cell fulfils."""
from abc import ABCMeta, abstractmethod
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule

States = Dict[str, torch.Tensor]
CellOutput = Tuple[States, Optional[torch.Tensor], Dict[str, torch.Tensor]]


class BaseCell(BaseModule, metaclass=ABCMeta):
    """One recurrent step of one layer at one scale.

    A cell is stateless between calls: everything that carries over time is
    in the ``states`` dict it receives and returns. A neck stacks cells over
    layers and decides the scale each one runs at; a cell never knows it.

    Class attributes that describe a cell to the neck:

    - ``state_names``: the per-layer temporal states, e.g. ``('h', 'c')``.
    - ``output_state``: the state that is the layer's output (``'h'``).
    - ``uses_memory``: whether the cell reads and writes the zigzag
      spatiotemporal memory ``M`` that flows up the layers and from the top
      layer to the bottom one at the next step (PredRNN family).
    - ``uses_diagonal``: whether the cell reads ``H^{l-1}_{t-1}``, the output
      of the layer below at the previous step (MIM, MotionRNN).
    - ``uses_memory_bank``: whether the cell takes a memory bank, the
      matching memories of frozen source models at this step (memory
      transfer, TMU). Such cells accept an extra ``bank`` argument, a list of
      ``[B, C, H, W]`` tensors (one per source), or None at test time.

    The frame sizes a cell accepts (height and width of its input, at its
    scale: frame size / patch size / the neck's down-sampling) are declared,
    never left to a failure deep inside ``forward``:

    - ``frame_multiple``: height and width must be multiples of it (1: any
      size; CMS-LSTM sets it to its patch grids' least common multiple).
    - ``min_frame_size``: the smallest height and width (MotionRNN's
      half-resolution motion states need 2).
    - ``frame_size``: the one ``(H, W)`` the cell was built for, or None.
      A cell whose parameters depend on the size (``norm='layer'`` over
      ``[C, H, W]``, per-pixel peepholes) declares it in its constructor
      with :meth:`declare_frame_size`.

    :meth:`check_frame_size` checks a size against the three and raises a
    ``ValueError`` that names the cell, the size and the fix;
    :meth:`init_states` calls it, so a wrong size fails before the first
    step. A cell with another kind of constraint overrides
    :meth:`check_frame_size` (and documents it).

    ``zoo``: the cell's entry in the cell zoo of this repository (read by
    :mod:`stpredict.models.cells.zoo` for the tools that compare every
    cell), declared on the class itself, e.g. ``zoo = dict(key='convlstm',
    name='ConvLSTM', year=2015, paper='Shi et al., NeurIPS 2015')``:
    ``key`` names its model configs
    ``configs/_base_/models/<key>_4x64.py`` and ``<key>_6x64_msrnn.py``;
    optional ``msrnn_params`` / ``msrnn_flops`` / ``msrnn_memory`` are the
    MS-RNN paper's figures. None (the default, and for a subclass that
    declares none): not in the zoo.

    Args:
        in_channels (int): Channels of the input ``x``.
        hidden_channels (int): Channels of the hidden state (the output).
        kernel_size (int | tuple[int, int]): Kernel of the gate convolutions.
            Defaults to 3.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names: Tuple[str, ...] = ('h', 'c')
    output_state: str = 'h'
    uses_memory: bool = False
    uses_diagonal: bool = False
    uses_memory_bank: bool = False
    frame_multiple: int = 1
    min_frame_size: int = 1
    frame_size: Optional[Tuple[int, int]] = None
    zoo: Optional[dict] = None

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 3,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError(
                f'{type(self).__name__} needs in_channels >= 1 and '
                f'hidden_channels >= 1, got {in_channels} and '
                f'{hidden_channels}.')
        kernel = (kernel_size, kernel_size) if isinstance(kernel_size,
                                                          int) else tuple(
                                                              kernel_size)
        if any(k < 1 or k % 2 == 0 for k in kernel):
            raise ValueError(
                f'{type(self).__name__} needs odd kernel sizes (so that '
                f"'same' padding keeps the frame size), got {kernel_size}.")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.kernel_size = kernel
        self.padding = (kernel[0] // 2, kernel[1] // 2)

    def declare_frame_size(self,
                           spatial_size: Optional[Sequence[int]],
                           needed: bool = True) -> None:
        """Fix the frame size the cell accepts to ``spatial_size``.

        Args:
            spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
                scale, or None.
            needed (bool): Whether the cell's parameters really depend on
                it (e.g. ``norm == 'layer'``); if not, any size stays
                allowed. Defaults to True.
        """
        if needed and spatial_size is not None:
            height, width = (int(v) for v in spatial_size)
            self.frame_size = (height, width)

    def check_frame_size(self, height: int, width: int) -> None:
        """Refuse a frame size (at the cell's scale) that the cell does not
        accept; see the class docstring.

        Args:
            height (int): Height of the cell's input.
            width (int): Width of the cell's input.

        Raises:
            ValueError: If the size is not one the cell declares.
        """
        name = type(self).__name__
        where = ('(frame size / patch size / the neck\'s down-sampling at '
                 'this layer)')
        if self.frame_size is not None and \
                (height, width) != tuple(self.frame_size):
            raise ValueError(
                f'{name} was built for {self.frame_size[0]}x'
                f'{self.frame_size[1]} maps (spatial_size='
                f'{tuple(self.frame_size)}, which its layer norm or per-pixel '
                f'weights need) but got {height}x{width} {where}. Fix: set '
                "spatial_size to the size at the cell's scale, or use "
                "norm='group' (any size).")
        low = self.min_frame_size
        if height < low or width < low:
            raise ValueError(
                f'{name} needs maps of at least {low}x{low}, got {height}x'
                f'{width} {where}. Fix: use larger frames, a smaller patch '
                'size or fewer down-sampling levels.')
        step = self.frame_multiple
        if height % step or width % step:
            raise ValueError(
                f'{name} needs a height and width divisible by {step}, got '
                f'{height}x{width} {where}. Fix: resize or crop the frames, '
                'change the patch size or the cell\'s options.')

    @property
    def out_channels(self) -> int:
        """Channels of the layer's output (the ``output_state``)."""
        return self.state_channels(self.output_state)

    @property
    def memory_channels(self) -> int:
        """Channels of the zigzag memory ``M`` (PredRNN family)."""
        return self.hidden_channels

    def state_channels(self, name: str) -> int:
        """Channels of the temporal state ``name``.

        Args:
            name (str): One of ``state_names``.

        Returns:
            int: Its channel count; ``hidden_channels`` unless overridden.
        """
        return self.hidden_channels

    def init_states(self, x: torch.Tensor) -> States:
        """Zero states for an input ``x`` of shape ``[B, C, H, W]``.

        States follow the input's batch size, spatial size, device and dtype.
        The size is checked first (:meth:`check_frame_size`).

        Args:
            x (torch.Tensor): The input the cell will first receive.

        Returns:
            dict[str, torch.Tensor]: One zero tensor per state name.
        """
        batch, _, height, width = x.shape
        self.check_frame_size(height, width)
        return {
            name: x.new_zeros(batch, self.state_channels(name), height, width)
            for name in self.state_names
        }

    def init_memory(self, x: torch.Tensor) -> torch.Tensor:
        """Zero zigzag memory for an input ``x`` of shape ``[B, C, H, W]``.

        Args:
            x (torch.Tensor): The input of the cell that first reads ``M``.

        Returns:
            torch.Tensor: Zeros ``[B, memory_channels, H, W]``.
        """
        batch, _, height, width = x.shape
        return x.new_zeros(batch, self.memory_channels, height, width)

    @abstractmethod
    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step.

        Args:
            x (torch.Tensor): Input ``[B, in_channels, H, W]``.
            states (dict[str, torch.Tensor]): This layer's states at ``t-1``.
            memory (torch.Tensor, optional): Zigzag memory ``M`` if
                ``uses_memory``. Defaults to None.
            diagonal (torch.Tensor, optional): ``H^{l-1}_{t-1}`` if
                ``uses_diagonal``. Defaults to None.

        Returns:
            tuple: ``(states, memory, aux)``: the new states, the updated
            zigzag memory (or the one received, or None), and a dict of
            per-step tensors that losses or analysis need (keys starting with
            ``loss_`` are added to the training loss by the predictor).
        """
