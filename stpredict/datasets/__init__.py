from . import transforms  # noqa: F401
from .base_sequence_dataset import BaseSequenceDataset
from .digit_source import (BuiltinDigits, MNISTDigits, find_mnist_file,
                           load_mnist_images, split_index_range)
from .flying_digits import FlyingDigits
from .moving_mnist import MovingMNIST
from .transforms import PackSequenceInputs

__all__ = [
    'BaseSequenceDataset', 'BuiltinDigits', 'MNISTDigits', 'find_mnist_file',
    'load_mnist_images', 'split_index_range', 'FlyingDigits', 'MovingMNIST',
    'PackSequenceInputs'
]
