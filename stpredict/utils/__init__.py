from .checkpoint import (CheckpointError, UnsafeCheckpointError,
                         register_safe_checkpoint_loader, safe_torch_load)
from .setup_env import register_all_modules

__all__ = [
    'CheckpointError', 'UnsafeCheckpointError',
    'register_safe_checkpoint_loader', 'safe_torch_load',
    'register_all_modules'
]
