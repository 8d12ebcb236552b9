from .prediction_visualization_hook import PredictionVisualizationHook
from .scheduled_sampling_hook import (ScheduledSamplingHook,
                                      linear_sampling_eta,
                                      reverse_sampling_etas)

__all__ = [
    'PredictionVisualizationHook', 'ScheduledSamplingHook',
    'linear_sampling_eta', 'reverse_sampling_etas'
]
