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

    ``results['frames']`` must be a numpy array ``[T, H, W, C]`` (channels
    last) of dtype uint8 (values 0-255) or float32 with values in ``[0, 1]``
    (e.g. TaxiBJ's flows, or arrays of your own scaled by ``value_range``).
    It becomes a contiguous tensor ``[T, C, H, W]`` of the same dtype under
    ``inputs``; the data preprocessor later divides uint8 frames by 255,
    passes float frames on as they are and splits the sequence into observed
    and future frames. The range of float frames is checked (one min/max
    pass; NaN fails too). The meta information goes into a
    :class:`~stpredict.structures.SequenceDataSample`.

    Required keys: ``frames``, ``sample_idx``, ``input_frames_num``,
    ``output_frames_num``.

    Added keys: ``inputs``, ``data_samples`` (the output dict has only these).

    Args:
        meta_keys (Sequence[str]): Keys copied from the results into the
            metainfo of the data sample when present. ``sample_idx``,
            ``input_frames_num`` and ``output_frames_num`` are always copied
            (and must be present). Defaults to ``('sample_idx', 'sequence_idx',
            'input_frames_num', 'output_frames_num', 'split',
            'sequence_name', 'start_frame', 'frame_interval',
            'value_transform')``: the last four come from the datasets of
            frame sequences on disk (which frames a window holds; the
            physical meaning of radar pixel values).
    """

    #: Meta keys every packed sample carries (the model and metrics rely on
    #: them).
    REQUIRED_META_KEYS = ('sample_idx', 'input_frames_num',
                          'output_frames_num')

    #: Dtypes of the frames that can be packed.
    FRAME_DTYPES = (np.uint8, np.float32)

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'sequence_idx',
                                             'input_frames_num',
                                             'output_frames_num', 'split',
                                             'sequence_name', 'start_frame',
                                             'frame_interval',
                                             'value_transform')
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
            dict: ``inputs`` (``torch.uint8`` or ``torch.float32``
            ``[T, C, H, W]``) and
            ``data_samples`` (:class:`SequenceDataSample`).
        """
        if 'frames' not in results:
            raise KeyError(
                'PackSequenceInputs needs results["frames"] (a uint8 or '
                'float32 array [T, H, W, C]), but the results only have '
                f'{sorted(results)}; put a dataset (or a loading transform) '
                'that provides the frames before it in the pipeline.')
        frames = results['frames']
        if not isinstance(frames, np.ndarray):
            raise TypeError(
                'results["frames"] must be a numpy array [T, H, W, C] of '
                f'dtype uint8 or float32, but got {type(frames).__name__}.')
        if frames.ndim != 4:
            raise ValueError(
                'results["frames"] must have 4 dimensions [T, H, W, C] '
                f'(channels last), but has shape {frames.shape}; add the '
                'channel axis of gray frames with frames[..., None].')
        if frames.dtype not in self.FRAME_DTYPES:
            raise TypeError(
                'results["frames"] must have dtype uint8 (values 0-255; the '
                'data preprocessor scales them to [0, 1]) or float32 (values '
                f'in [0, 1]), but has dtype {frames.dtype}; convert the '
                'frames when loading them.')
        if frames.dtype == np.float32 and frames.size:
            low, high = float(frames.min()), float(frames.max())
            if not (low >= 0.0 and high <= 1.0):
                raise ValueError(
                    'float32 results["frames"] must hold values in [0, 1], '
                    f'but hold values in [{low}, {high}] (sample '
                    f'{results.get("sample_idx")}); scale them when loading '
                    '(e.g. the value_range of ArraySequences) or store uint8 '
                    'frames.')
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
