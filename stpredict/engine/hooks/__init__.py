from .prediction_visualization_hook import PredictionVisualizationHook
from .scheduled_sampling_hook import (ScheduledSamplingHook,
                                      linear_sampling_eta,
                                      reverse_sampling_etas)
from .transfer_gate_hook import TransferGateHook, gate_table

__all__ = [
    'PredictionVisualizationHook', 'ScheduledSamplingHook',
    'linear_sampling_eta', 'reverse_sampling_etas', 'TransferGateHook',
    'gate_table'
]
