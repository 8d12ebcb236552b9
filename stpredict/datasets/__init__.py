from . import transforms  # noqa: F401
from .base_sequence_dataset import BaseSequenceDataset
from .custom_sequences import ArraySequences, FrameFolderSequences
from .digit_source import (BuiltinDigits, MNISTDigits, find_mnist_file,
                           load_mnist_images, split_index_range)
from .flying_digits import FlyingDigits
from .frame_files import FrameFiles
from .frame_sequences import (SequenceRecord, WindowedSequenceDataset,
                              window_starts)
from .human36m import Human36M
from .kth import KTH
from .moving_mnist import MovingMNIST
from .radar_echo import RadarEcho
from .taxibj import TaxiBJ
from .transforms import PackSequenceInputs
from .weizmann import Weizmann

__all__ = [
    'BaseSequenceDataset', 'BuiltinDigits', 'MNISTDigits', 'find_mnist_file',
    'load_mnist_images', 'split_index_range', 'FlyingDigits', 'MovingMNIST',
    'PackSequenceInputs', 'WindowedSequenceDataset', 'SequenceRecord',
    'FrameFiles', 'window_starts', 'KTH', 'Human36M', 'Weizmann', 'TaxiBJ',
    'RadarEcho', 'FrameFolderSequences', 'ArraySequences'
]
