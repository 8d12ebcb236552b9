"""What a transfer method hands one layer of a neck at one step."""
from dataclasses import dataclass
from typing import List, Optional

import torch


@dataclass
class LayerContext:
    """What a transfer method hands one layer of the student's neck at a step.

    Args:
        bank (list[torch.Tensor], optional): The teachers' memories for a
            cell with ``uses_memory_bank`` (TMU), one ``[B, C, H, W]`` per
            source. Defaults to None.
        output_residual (torch.Tensor, optional): Added to the layer's output
            before it goes up to the next layer (knowledge flow); the layer's
            recurrent states are not changed. Defaults to None.
        output_scale (torch.Tensor | float, optional): Multiplies the layer's
            own output before ``output_residual`` is added (knowledge flow's
            normalised student weight). Defaults to None (1).
    """

    bank: Optional[List[torch.Tensor]] = None
    output_residual: Optional[torch.Tensor] = None
    output_scale: Optional[torch.Tensor] = None
