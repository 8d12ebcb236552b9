"""Naive forecasts scored beside a model by ``tools/test.py``."""
from typing import Dict, Type, Union

from .base_forecast import BaseForecast
from .copy_last_forecast import CopyLastForecast
from .optical_flow_forecast import (NOWCASTING_EXTRA_HELP, OpticalFlowForecast,
                                    import_pysteps)
from .train_mean_forecast import (TrainMeanForecast, mean_training_frame,
                                  spread_indices)
from .zeros_forecast import ZerosForecast

#: The baselines by name (the suffix of their metric keys).
BASELINE_FORECASTS: Dict[str, Type[BaseForecast]] = {
    forecast.name: forecast
    for forecast in (CopyLastForecast, ZerosForecast, TrainMeanForecast,
                     OpticalFlowForecast)
}


def build_baseline_forecast(spec: Union[str, dict,
                                        BaseForecast]) -> BaseForecast:
    """A baseline from its name or config dict.

    Args:
        spec (str | dict | BaseForecast): A name of
            :data:`BASELINE_FORECASTS` (``'copy_last'``, ``'zeros'``,
            ``'train_mean'``, ``'optical_flow'``), a dict with that name (or
            the class name) as ``type`` and the class's arguments, e.g.
            ``dict(type='optical_flow', method='proesmans')``, or a built
            baseline.

    Returns:
        BaseForecast: The baseline.
    """
    if isinstance(spec, BaseForecast):
        return spec
    if isinstance(spec, str):
        spec = dict(type=spec)
    if not isinstance(spec, dict) or 'type' not in spec:
        raise ValueError(
            'A baseline is a name or a dict with a type, one of '
            f'{tuple(BASELINE_FORECASTS)}, got {spec!r}.')
    kwargs = dict(spec)
    name = kwargs.pop('type')
    by_class = {cls.__name__: cls for cls in BASELINE_FORECASTS.values()}
    cls = BASELINE_FORECASTS.get(name) or by_class.get(name)
    if cls is None:
        raise ValueError(f'Unknown baseline {name!r}; choose among '
                         f'{tuple(BASELINE_FORECASTS)}.')
    return cls(**kwargs)


__all__ = [
    'BaseForecast', 'CopyLastForecast', 'ZerosForecast',
    'TrainMeanForecast', 'OpticalFlowForecast', 'BASELINE_FORECASTS',
    'build_baseline_forecast', 'mean_training_frame', 'spread_indices',
    'import_pysteps', 'NOWCASTING_EXTRA_HELP'
]
