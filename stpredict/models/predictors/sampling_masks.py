"""Scheduled-sampling masks: which steps read the true frame."""
from typing import NamedTuple, Optional

import torch


class SamplingMasks(NamedTuple):
    """Which steps read the true frame instead of the model's prediction.

    Both masks are float ``[B, steps, 1, 1, 1]`` of ones (true frame) and
    zeros (own prediction), or None.

    - ``input``: steps ``1 .. T_in - 1`` (reverse scheduled sampling); None
      means every observed frame is read.
    - ``output``: steps ``T_in .. T_in + T_out - 2``; None means the model
      always reads its own prediction.
    """
    input: Optional[torch.Tensor]
    output: Optional[torch.Tensor]


def draw_sampling_masks(batch_size: int, input_frames: int,
                        output_frames: int, sampling_eta: float,
                        reverse_sampling_eta: float,
                        reference: torch.Tensor) -> SamplingMasks:
    """Draw scheduled-sampling masks for one training batch.

    Args:
        batch_size (int): Sequences in the batch.
        input_frames (int): ``T_in``.
        output_frames (int): ``T_out``.
        sampling_eta (float): Probability that a forecast step reads the
            true frame.
        reverse_sampling_eta (float): Probability that an observed step
            reads the true frame (1 draws no input mask).
        reference (torch.Tensor): Any tensor on the model's device with the
            frames' dtype.

    Returns:
        SamplingMasks: Masks drawn on ``reference``'s device.
    """

    def draw(steps: int, prob_true: float) -> torch.Tensor:
        uniform = torch.rand(batch_size, steps, device=reference.device)
        mask = (uniform < prob_true).to(reference.dtype)
        return mask.view(batch_size, steps, 1, 1, 1)

    output_mask = draw(output_frames - 1, sampling_eta)
    input_mask = None
    if reverse_sampling_eta < 1.0 and input_frames > 1:
        input_mask = draw(input_frames - 1, reverse_sampling_eta)
    return SamplingMasks(input=input_mask, output=output_mask)
