"""The standard Moving MNIST test set (``mnist_test_seq.npy``)."""
import os.path as osp
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import load_npy
from stpredict.registry import DATASETS
from .base_sequence_dataset import BaseSequenceDataset

MOVING_MNIST_HELP = (
    'Expected layout: data/moving_mnist/mnist_test_seq.npy (data_root='
    "'data/moving_mnist', file_name='mnist_test_seq.npy'): the fixed Moving "
    'MNIST test set of Srivastava et al. 2015, a uint8 array of shape '
    '(20, 10000, 64, 64), time first. Download mnist_test_seq.npy from '
    'http://www.cs.toronto.edu/~nitish/unsupervised_video/ and put it there '
    "(or set data_root). To train, use type='FlyingDigits', which generates "
    'Moving-MNIST-style sequences on the fly and needs no download.')


@DATASETS.register_module()
class MovingMNIST(BaseSequenceDataset):
    """The fixed Moving MNIST benchmark set, ``mnist_test_seq.npy``.

    The file holds 10,000 sequences of 20 frames of 64x64 pixels with two
    digits each, as one uint8 array ``(20, 10000, 64, 64)`` (time first). It
    is the standard test set of the field; train on
    :class:`~stpredict.datasets.FlyingDigits`, which generates sequences the
    same way. Each sequence gives one sample: its first
    ``input_frames + output_frames`` frames.

    The file is memory-mapped, not read: building the dataset only reads the
    header (and checks the shape), and each process (each dataloader worker)
    maps the file again on its first access, so only the frames used are
    read.

    Each data info holds ``sample_idx`` (index in this dataset),
    ``sequence_idx`` (index of the sequence in the file, kept when
    ``indices`` picks a subset), ``split``, ``input_frames_num`` and
    ``output_frames_num``; ``frames`` (uint8 ``[T, 64, 64, 1]``) is added
    before the pipeline.

    Args:
        data_root (str): Directory of the file. Defaults to
            ``'data/moving_mnist'``.
        file_name (str): Name of the file in ``data_root`` (an absolute path
            is used as is). Defaults to ``'mnist_test_seq.npy'``.
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
            ``input_frames + output_frames`` must not exceed the 20 frames of
            a sequence.
        split (str): Only ``'test'``: the file is one fixed test set.
            Defaults to ``'test'``.
        indices (int | Sequence[int], optional): A subset of the sequences,
            as in mmengine's ``BaseDataset``: an int ``n`` keeps the first
            ``n`` sequences, a sequence of ints keeps those sequences (e.g.
            ``list(range(2000))`` for a quick evaluation). Defaults to None:
            all sequences.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``test_mode``, ``lazy_init``, ...).
    """

    def __init__(self,
                 data_root: str = 'data/moving_mnist',
                 file_name: str = 'mnist_test_seq.npy',
                 input_frames: int = 10,
                 output_frames: int = 10,
                 split: str = 'test',
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        if split != 'test':
            raise ValueError(
                f"MovingMNIST has only the split 'test' (the fixed file "
                f'mnist_test_seq.npy), but got split={split!r}. Train and '
                "validate on type='FlyingDigits' (split='train'/'val'), or "
                'carve a subset of the test file with indices=....')
        self.split = split
        self.file_name = file_name
        self._array: Optional[np.ndarray] = None
        super().__init__(
            input_frames=input_frames,
            output_frames=output_frames,
            pipeline=pipeline,
            data_root=data_root,
            indices=indices,
            **kwargs)

    @property
    def data_file(self) -> str:
        """Path of the ``.npy`` file."""
        return osp.join(self.data_root or '', self.file_name)

    def _open_array(self) -> np.ndarray:
        """Memory-map the file and check its layout."""
        path = self.data_file
        array = load_npy(path, 'Moving MNIST file', MOVING_MNIST_HELP)
        if not isinstance(array, np.ndarray):
            raise ValueError(
                f'Moving MNIST file "{path}" holds a {type(array).__name__}, '
                f'not a single array. {MOVING_MNIST_HELP}')
        if array.ndim != 4 or array.dtype != np.uint8 or array.shape[1] < 1:
            raise ValueError(
                f'Moving MNIST file "{path}" has shape {array.shape} and '
                f'dtype {array.dtype}, but a uint8 array (20, N, 64, 64) '
                f'(time, sequence, height, width) is expected. '
                f'{MOVING_MNIST_HELP}')
        if array.shape[0] < self.total_frames:
            raise ValueError(
                f'input_frames + output_frames = {self.input_frames} + '
                f'{self.output_frames} = {self.total_frames}, but the '
                f'sequences of "{path}" have only {array.shape[0]} frames '
                f'(shape {array.shape}); use at most {array.shape[0]} frames '
                'in total, e.g. input_frames=10, output_frames=10.')
        return array

    def _frames_array(self) -> np.ndarray:
        """The memory-mapped array, mapped again after pickling."""
        if self._array is None:
            self._array = self._open_array()
        return self._array

    def load_data_list(self) -> List[dict]:
        """Check the file and list one data info per sequence.

        Returns:
            list[dict]: The data infos.
        """
        self._array = self._open_array()
        return [
            self.frame_info(sequence_idx, self.split)
            for sequence_idx in range(self._array.shape[1])
        ]

    def load_sequence(self, data_info: Dict[str, Any]) -> Dict[str, Any]:
        """Read the first ``T_in + T_out`` frames of one sequence.

        Args:
            data_info (dict): The data info, with ``sequence_idx``.

        Returns:
            dict: ``frames``, uint8 ``[T, H, W, 1]``.
        """
        array = self._frames_array()
        frames = np.array(array[:self.total_frames, data_info['sequence_idx']])
        return dict(frames=frames[..., None])

    def __getstate__(self) -> Dict[str, Any]:
        # never pickle the memory map (numpy would copy the whole file into
        # the pickle); workers map the file again on their first access
        state = self.__dict__.copy()
        state['_array'] = None
        return state

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(data_file={self.data_file!r}, '
                f'split={self.split!r}, '
                f'frames={self.input_frames}+{self.output_frames})')
