"""An all-black (all-zero) forecast."""
import torch

from .base_forecast import BaseForecast


class ZerosForecast(BaseForecast):
    """Forecast frames of zeros (black; no echo on radar frames).

    The floor of the errors: a model whose forecasts fade to black scores
    close to it, and on sparse data (digits on black, radar echoes) it can
    beat copying the last frame, so a model must beat both.
    """

    name = 'zeros'
    description = 'all-zero (black) frames'

    def forecast(self, input_frames: torch.Tensor,
                 output_frames: int) -> torch.Tensor:
        """``output_frames`` frames of zeros."""
        return input_frames.new_zeros(output_frames, *input_frames.shape[1:])
