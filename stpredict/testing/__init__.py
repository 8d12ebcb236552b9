from .crafted_checkpoint import (Call, StorageRef, tensor_call,
                                 write_checkpoint_archive)
from .malicious_checkpoint import (CreatesFileWhenUnpickled,
                                   write_malicious_checkpoint)
from .runner_smoke import shrink_config, train_briefly

__all__ = [
    'Call', 'CreatesFileWhenUnpickled', 'StorageRef', 'shrink_config',
    'tensor_call', 'train_briefly', 'write_checkpoint_archive',
    'write_malicious_checkpoint'
]
