from .malicious_checkpoint import (CreatesFileWhenUnpickled,
                                   write_malicious_checkpoint)
from .runner_smoke import shrink_config, train_briefly

__all__ = [
    'CreatesFileWhenUnpickled', 'shrink_config', 'train_briefly',
    'write_malicious_checkpoint'
]
