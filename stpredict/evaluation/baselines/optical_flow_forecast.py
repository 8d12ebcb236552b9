"""Optical-flow extrapolation of the last observed frame (pysteps)."""
import contextlib
import io
import warnings
from typing import Any, Dict, Optional

import numpy as np
import torch

from .base_forecast import BaseForecast

#: What to install for the optical-flow baseline.
NOWCASTING_EXTRA_HELP = (
    "pip install -e '.[nowcasting]' (or pip install pysteps; it builds "
    'from source in about 80 s and uses OpenCV, which stpredict already '
    'needs)')


def import_pysteps() -> Any:
    """Import pysteps quietly, or fail naming the extra to install.

    Returns:
        module: The ``pysteps`` package.
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            # (pysteps prints where its configuration file is)
            import pysteps
            import pysteps.extrapolation  # noqa: F401
            import pysteps.motion  # noqa: F401
    except ImportError as error:
        raise ImportError(
            'The optical_flow baseline extrapolates the observed frames '
            f'with pysteps, which is not installed ({error}). Install the '
            f'optional nowcasting extra: {NOWCASTING_EXTRA_HELP}; or leave '
            'optical_flow out of the baselines (--baselines copy_last zeros '
            'train_mean).') from error
    return pysteps


class OpticalFlowForecast(BaseForecast):
    """Advect the last observed frame along the motion of the last ones.

    The reference forecast of precipitation nowcasting: a motion field is
    estimated from the last ``num_frames`` observed frames (pysteps'
    ``motion.get_method(method)``; Lucas-Kanade by default) and the last
    frame is moved along it, one frame interval per lead time, by
    semi-Lagrangian extrapolation (pysteps'
    ``extrapolation.semilagrangian``). Areas that flow in from outside the
    frame get ``outside_value`` (0: no echo). Frames with several channels
    share one motion field, estimated on their channel mean; every channel
    is advected. Forecasts are clipped to ``[0, 1]``. Runs on the CPU with
    NumPy (about 30 ms per 64x64 sequence with Lucas-Kanade).

    Needs pysteps: ``pip install -e '.[nowcasting]'``.

    Args:
        method (str): pysteps motion method, e.g. ``'LK'`` (Lucas-Kanade),
            ``'proesmans'`` or ``'DARTS'`` (slow). Defaults to ``'LK'``.
        num_frames (int): Observed frames used for the motion, at least 2.
            Defaults to 3.
        motion_kwargs (dict, optional): Keyword arguments of the motion
            method. Defaults to None.
        outside_value (float): Value of pixels advected from outside the
            frame. Defaults to 0.
    """

    name = 'optical_flow'
    description = 'optical-flow extrapolation (pysteps)'

    def __init__(self,
                 method: str = 'LK',
                 num_frames: int = 3,
                 motion_kwargs: Optional[Dict[str, Any]] = None,
                 outside_value: float = 0.0) -> None:
        if int(num_frames) != num_frames or num_frames < 2:
            raise ValueError('OpticalFlowForecast: num_frames must be an '
                             f'integer >= 2, got {num_frames!r}.')
        self.method = method
        self.num_frames = int(num_frames)
        self.motion_kwargs = dict(motion_kwargs or {})
        self.outside_value = float(outside_value)
        self._motion = None
        self._extrapolate = None

    def prepare(self) -> None:
        """Import pysteps and look the methods up (once)."""
        if self._motion is not None:
            return
        pysteps = import_pysteps()
        try:
            self._motion = pysteps.motion.get_method(self.method)
        except ValueError as error:
            raise ValueError(
                f'OpticalFlowForecast: unknown pysteps motion method '
                f"{self.method!r} ({error}); use e.g. 'LK', 'proesmans' or "
                "'DARTS'.") from error
        self._extrapolate = pysteps.extrapolation.get_method('semilagrangian')

    def motion_field(self, frames: np.ndarray) -> np.ndarray:
        """The motion of ``[T, H, W]`` frames, ``[2, H, W]`` pixels/frame."""
        self.prepare()
        # (pysteps prints progress and warns on frames with few features,
        # e.g. a black frame: its motion is then zero)
        with contextlib.redirect_stdout(io.StringIO()), \
                warnings.catch_warnings(), np.errstate(all='ignore'):
            warnings.simplefilter('ignore', RuntimeWarning)
            return self._motion(frames, **self.motion_kwargs)

    def forecast(self, input_frames: torch.Tensor,
                 output_frames: int) -> torch.Tensor:
        """Extrapolate the last frame ``output_frames`` steps ahead."""
        self.prepare()
        if input_frames.shape[0] < 2:
            raise ValueError(
                'The optical_flow baseline needs at least 2 observed frames '
                f'to estimate motion, got {input_frames.shape[0]}.')
        observed = input_frames.detach().to('cpu', torch.float64).numpy()
        recent = observed[-self.num_frames:]
        velocity = self.motion_field(recent.mean(axis=1))
        channels = []
        for channel in range(observed.shape[1]):
            moved = self._extrapolate(
                observed[-1, channel], velocity, output_frames,
                outval=self.outside_value)
            channels.append(moved)
        forecast = np.stack(channels, axis=1)
        forecast = np.nan_to_num(forecast, nan=self.outside_value)
        forecast = np.clip(forecast, 0.0, 1.0)
        return torch.from_numpy(forecast).to(
            device=input_frames.device, dtype=input_frames.dtype)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(method={self.method!r}, '
                f'num_frames={self.num_frames})')
