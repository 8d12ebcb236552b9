"""Pack a frame sequence into the model's input format."""
from typing import Dict, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from stpredict.registry import TRANSFORMS
from stpredict.structures import SequenceDataSample


@TRANSFORMS.register_module()
class PackSequenceInputs(BaseTransform):
    """Pack ``frames`` and meta keys into ``inputs`` and ``data_samples``.

    ``results['frames']`` must be a numpy uint8 array ``[T, H, W, C]``
    (channels last). It becomes a contiguous ``torch.uint8`` tensor
    ``[T, C, H, W]`` under ``inputs``; the data preprocessor later scales it to
    ``[0, 1]`` and splits it into observed and future frames. The meta
    information goes into a :class:`~stpredict.structures.SequenceDataSample`.

    Required keys: ``frames``, ``sample_idx``, ``input_frames_num``,
    ``output_frames_num``.

    Added keys: ``inputs``, ``data_samples`` (the output dict has only these).

    Args:
        meta_keys (Sequence[str]): Keys copied from the results into the
            metainfo of the data sample when present. ``sample_idx``,
            ``input_frames_num`` and ``output_frames_num`` are always copied
            (and must be present). Defaults to ``('sample_idx', 'sequence_idx',
            'input_frames_num', 'output_frames_num', 'split')``.
    """

    #: Meta keys every packed sample carries (the model and metrics rely on
    #: them).
    REQUIRED_META_KEYS = ('sample_idx', 'input_frames_num',
                          'output_frames_num')

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'sequence_idx',
                                             'input_frames_num',
                                             'output_frames_num', 'split')
                 ) -> None:
        if isinstance(meta_keys, str):
            meta_keys = (meta_keys, )
        keys = list(self.REQUIRED_META_KEYS)
        keys += [key for key in meta_keys if key not in keys]
        self.meta_keys = tuple(keys)

    def transform(self, results: Dict) -> Dict:
        """Pack the frames and the meta information of one sequence.

        Args:
            results (dict): Holds ``frames`` and the meta keys.

        Returns:
            dict: ``inputs`` (``torch.uint8`` ``[T, C, H, W]``) and
            ``data_samples`` (:class:`SequenceDataSample`).
        """
        if 'frames' not in results:
            raise KeyError(
                'PackSequenceInputs needs results["frames"] (a uint8 array '
                f'[T, H, W, C]), but the results only have {sorted(results)}; '
                'put a dataset (or a loading transform) that provides the '
                'frames before it in the pipeline.')
        frames = results['frames']
        if not isinstance(frames, np.ndarray):
            raise TypeError(
                'results["frames"] must be a numpy array [T, H, W, C] of '
                f'dtype uint8, but got {type(frames).__name__}.')
        if frames.ndim != 4:
            raise ValueError(
                'results["frames"] must have 4 dimensions [T, H, W, C] '
                f'(channels last), but has shape {frames.shape}; add the '
                'channel axis of gray frames with frames[..., None].')
        if frames.dtype != np.uint8:
            raise TypeError(
                'results["frames"] must have dtype uint8 (values 0-255; the '
                'data preprocessor scales them to [0, 1]), but has dtype '
                f'{frames.dtype}; convert the frames when loading them.')
        missing = [
            key for key in self.REQUIRED_META_KEYS if key not in results
        ]
        if missing:
            raise KeyError(
                f'PackSequenceInputs needs the meta keys {missing}, which the '
                'dataset puts into each data info; the results only have '
                f'{sorted(results)}.')

        frames = np.ascontiguousarray(frames.transpose(0, 3, 1, 2))
        if not frames.flags.writeable:
            frames = frames.copy()
        inputs = torch.from_numpy(frames).contiguous()
        metainfo = {key: results[key] for key in self.meta_keys
                    if key in results}
        return dict(inputs=inputs,
                    data_samples=SequenceDataSample(metainfo=metainfo))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
