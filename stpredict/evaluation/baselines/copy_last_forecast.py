"""Persistence: the last observed frame, repeated."""
import torch

from .base_forecast import BaseForecast


class CopyLastForecast(BaseForecast):
    """Repeat the last observed frame ``input_frames[-1]`` for every lead
    time (persistence, the oldest baseline of nowcasting).

    Its numbers equal those of a metric's own ``baseline='copy_last'``
    option, under the same keys (``<key>_copy_last``).
    """

    name = 'copy_last'
    description = 'the last observed frame, repeated'

    def forecast(self, input_frames: torch.Tensor,
                 output_frames: int) -> torch.Tensor:
        """The last observed frame, ``output_frames`` times."""
        last = input_frames[-1]
        return last.unsqueeze(0).expand(output_frames, *last.shape)
