from .dist_watchdog_hook import (CollectiveTimeoutError, DistWatchdogHook,
                                 explain_collective_failure)
from .frame_meta_hook import FrameMetaHook, frames_meta_of_batch
from .non_finite_loss_hook import (DivergenceError, NonFiniteLossError,
                                   NonFiniteLossHook)
from .prediction_saver_hook import PredictionSaverHook
from .prediction_visualization_hook import PredictionVisualizationHook
from .preflight_check_hook import (PreflightCheckHook, PreflightError,
                                   preflight_model)
from .random_state_hook import RandomStateHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .scheduled_sampling_hook import (ScheduledSamplingHook,
                                      linear_sampling_eta,
                                      reverse_sampling_etas)
from .stop_signal_hook import StopSignalHook, TrainingInterrupted
from .strict_load_hook import StrictLoadHook
from .transfer_gate_hook import TransferGateHook, gate_table
from .work_dir_lock_hook import (WorkDirInUseError, WorkDirLockHook,
                                 acquire_work_dir_lock, release_work_dir_lock)

__all__ = [
    'CollectiveTimeoutError', 'DistWatchdogHook',
    'explain_collective_failure',
    'DivergenceError', 'NonFiniteLossError', 'NonFiniteLossHook',
    'FrameMetaHook', 'frames_meta_of_batch', 'RandomStateHook',
    'SafeCheckpointHook', 'StopSignalHook', 'StrictLoadHook',
    'TrainingInterrupted', 'PreflightCheckHook',
    'PreflightError',
    'preflight_model',
    'PredictionSaverHook', 'PredictionVisualizationHook',
    'ScheduledSamplingHook',
    'linear_sampling_eta', 'reverse_sampling_etas', 'TransferGateHook',
    'gate_table', 'WorkDirInUseError', 'WorkDirLockHook',
    'acquire_work_dir_lock', 'release_work_dir_lock'
]
