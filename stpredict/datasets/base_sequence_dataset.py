"""The base class of the datasets of frame sequences."""
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Dict, Sequence, Union

from mmengine.dataset import BaseDataset

from stpredict.registry import TRANSFORMS


def check_frames_num(value: Any, name: str) -> int:
    """Validate a number of frames (``input_frames`` or ``output_frames``).

    Args:
        value (Any): The value given.
        name (str): The argument's name, for the message.

    Returns:
        int: The value as an int.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f'{name} must be an int >= 1 (a number of frames), but got '
            f'{value!r}; e.g. use input_frames=10, output_frames=10 for '
            'Moving MNIST.')
    return int(value)


class BaseSequenceDataset(BaseDataset, metaclass=ABCMeta):
    """A dataset whose samples are windows of ``T_in + T_out`` frames.

    Each data info carries ``sequence_idx`` (the index of the window in the
    whole source, unchanged when ``indices`` picks a subset), ``split``,
    ``input_frames_num`` and ``output_frames_num``; mmengine adds
    ``sample_idx`` (the index in this dataset). Before the pipeline runs,
    :meth:`load_sequence` adds ``frames``: a uint8 array (or float32 in
    ``[0, 1]``, e.g. TaxiBJ) ``[T_in + T_out, H, W, C]``.

    The pipeline's config dicts are built with stpredict's ``TRANSFORMS``
    registry, so stpredict's transforms are found with or without a default
    scope.

    Args:
        input_frames (int): Number of observed frames ``T_in`` (>= 1).
        output_frames (int): Number of future frames ``T_out`` (>= 1).
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``, which
            gives packed samples.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``indices``, ``test_mode``, ``lazy_init``, ``serialize_data``,
            ``metainfo``, ...).
    """

    def __init__(self,
                 input_frames: int,
                 output_frames: int,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        self.input_frames = check_frames_num(input_frames, 'input_frames')
        self.output_frames = check_frames_num(output_frames, 'output_frames')
        transforms = [
            TRANSFORMS.build(transform)
            if isinstance(transform, dict) else transform
            for transform in (pipeline or ())
        ]
        kwargs.setdefault('ann_file', '')
        super().__init__(pipeline=transforms, **kwargs)

    @property
    def total_frames(self) -> int:
        """Frames per sample: ``input_frames + output_frames``."""
        return self.input_frames + self.output_frames

    def frame_info(self, sequence_idx: int, split: str) -> Dict[str, Any]:
        """The data info of one window before its frames are loaded.

        Args:
            sequence_idx (int): Index of the window in the whole source.
            split (str): Name of the split.

        Returns:
            dict: ``sequence_idx``, ``split``, ``input_frames_num`` and
            ``output_frames_num``.
        """
        return dict(
            sequence_idx=sequence_idx,
            split=split,
            input_frames_num=self.input_frames,
            output_frames_num=self.output_frames)

    @abstractmethod
    def load_sequence(self, data_info: Dict[str, Any]) -> Dict[str, Any]:
        """Load (or generate) the frames of one data info.

        Args:
            data_info (dict): The data info (see the class docstring).

        Returns:
            dict: At least ``frames`` (uint8, or float32 in ``[0, 1]``,
            ``[T, H, W, C]``); any other items are added to the results
            too.
        """

    def prepare_data(self, idx: int) -> Any:
        """Load the frames of sample ``idx`` and run the pipeline on them.

        Args:
            idx (int): Index of the sample in this dataset.

        Returns:
            Any: The pipeline's output (by default a dict with ``inputs`` and
            ``data_samples``).
        """
        data_info = self.get_data_info(idx)
        data_info.update(self.load_sequence(data_info))
        return self.pipeline(data_info)
