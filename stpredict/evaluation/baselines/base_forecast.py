"""The interface of the naive forecasts scored beside a model."""
from abc import ABCMeta, abstractmethod

import torch


class BaseForecast(metaclass=ABCMeta):
    """A forecast made without a learned model, from the observed frames.

    A baseline sees what the model sees, the ``T_in`` observed frames of one
    sequence, and forecasts ``T_out`` frames in the same ``[0, 1]`` units.
    It is scored with the same metrics as the model, under keys that end in
    ``_<name>`` (``mse_per_frame_zeros``, ``ssim_optical_flow_curve``), see
    :class:`~stpredict.evaluation.evaluators.BaselineEvaluator`.

    Subclasses set :attr:`name` and implement :meth:`forecast`; one that
    needs data or an optional package prepares it in :meth:`prepare`, which
    runs once before the first forecast (so that building a config does not
    cost anything).
    """

    #: The name in the metric keys (``<key>_<name>``), a Python identifier.
    name: str = ''
    #: One line for the result table of ``tools/test.py``.
    description: str = ''

    def prepare(self) -> None:
        """Get ready to forecast (load data, import packages). Idempotent."""

    @abstractmethod
    def forecast(self, input_frames: torch.Tensor,
                 output_frames: int) -> torch.Tensor:
        """Forecast the future frames of one sequence.

        Args:
            input_frames (torch.Tensor): The observed frames
                ``[T_in, C, H, W]`` in ``[0, 1]``.
            output_frames (int): ``T_out``, the number of frames to forecast.

        Returns:
            torch.Tensor: ``[T_out, C, H, W]`` frames in ``[0, 1]``, on the
            device and with the dtype of ``input_frames``.
        """

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
