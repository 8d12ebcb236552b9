"""Human3.6M video frames (Ionescu et al., TPAMI 2014)."""
import os
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import (IMAGE_EXTENSIONS, check_positive_int,
                              natural_sort_key, read_image)
from stpredict.registry import DATASETS
from .frame_sequences import (FrameFiles, SequenceRecord,
                              WindowedSequenceDataset)

HUMAN36M_HELP = (
    'Expected layout: frame images named S<subject>_<Action>.<camera>_'
    '<NNNNNN>.jpg (e.g. S1_Walking.54138969_000001.jpg) in <data_root> (or '
    'in folders below it); subjects S1, S5, S6, S7, S8, S9, S11. Extract '
    'them from the Human3.6M videos (http://vision.imar.ro/human3.6m/, '
    'S*/Videos/<Action>.<camera>.mp4) with: python '
    'tools/dataset_converters/human36m.py <folder with S1, S5, ...> '
    '<data_root> --image-size 128 (or check a folder of frames with '
    '--check <data_root>).')

#: S<subject>_<action>.<camera>_<frame>.<ext>
FRAME_NAME = re.compile(r'^S(\d+)_(.+)\.(\d+)_(\d+)\.([A-Za-z]+)$')


@DATASETS.register_module()
class Human36M(WindowedSequenceDataset):
    """Human3.6M: 3.6 million RGB frames of 11 subjects doing 15 actions
    (7 subjects public), 4 cameras.

    **Layout.** Frame images ``S<subject>_<Action>.<camera>_<NNNNNN>.jpg``
    in ``data_root`` (folders below it are searched too). The frames of one
    (subject, action, camera) form one sequence, ordered by ``NNNNNN``.
    ``tools/dataset_converters/human36m.py`` extracts them from the
    dataset's videos. Frames are read as RGB (``C = 3``) and resized to
    ``image_size``.

    **Splits, by subject**: the standard protocol trains on S1, S5, S6, S7,
    S8 and tests on S9 and S11 (PredRNN, MIM, TMU). Human3.6M has no
    validation split, so S8 is carved from the training subjects for it: by
    default ``train`` = S1, S5, S6, S7, ``val`` = S8, ``test`` = S9, S11
    (no subject is in two splits). Override with ``split_subjects``. (TMU
    reports 2,220 / 300 / 1,056 training / validation / test sequences but
    not how they were drawn; the counts here follow from the windows.)

    **Windows**: over each sequence, ``T = input_frames + output_frames``
    frames every ``interval`` frames, starts ``stride`` frames apart:
    ``floor((n - span) / stride) + 1`` windows for ``n`` frames, ``span =
    (T - 1) * interval + 1`` (see :mod:`stpredict.datasets.frame_sequences`).
    The frame numbers need not be consecutive (a converter that kept every
    5th frame gives numbers 1, 6, 11, ...): the sorted files are the frames.

    **Setting of TMU** (Sec. 4, following MIM): 128x128 RGB, 4 -> 4 frames
    (``configs/_base_/datasets/human36m.py``).

    Data infos also hold ``subject``, ``action`` and ``camera``.

    Args:
        data_root (str): Folder of the frames. Defaults to
            ``'data/human36m'``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        input_frames (int): Observed frames ``T_in``. Defaults to 4.
        output_frames (int): Future frames ``T_out``. Defaults to 4.
        stride (int, optional): Frames between window starts. Defaults to
            None: ``T * interval`` (windows share no frame).
        interval (int): Frame-sampling interval within a window. Defaults
            to 1.
        image_size (int | tuple[int, int], optional): Output frame size.
            Defaults to 128.
        actions (Sequence[str], optional): Actions to keep, as spelled in
            the file names before the camera (e.g. ``'Walking'``,
            ``'Walking_1'``). Defaults to None: all.
        cameras (Sequence[str | int], optional): Cameras to keep (e.g.
            ``54138969``). Defaults to None: all.
        split_subjects (dict, optional): Subject numbers of each split,
            ``dict(train=..., val=..., test=...)``. Defaults to None: the
            split above.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    DEFAULT_SPLIT_SUBJECTS = dict(train=(1, 5, 6, 7), val=(8, ), test=(9, 11))
    LAYOUT_HELP = HUMAN36M_HELP

    def __init__(self,
                 data_root: str = 'data/human36m',
                 split: str = 'train',
                 input_frames: int = 4,
                 output_frames: int = 4,
                 stride: Optional[int] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = 128,
                 actions: Optional[Sequence[str]] = None,
                 cameras: Optional[Sequence[Union[str, int]]] = None,
                 split_subjects: Optional[Dict[str, Sequence[int]]] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        split_subjects = dict(split_subjects or self.DEFAULT_SPLIT_SUBJECTS)
        if set(split_subjects) != {'train', 'val', 'test'}:
            raise ValueError(
                "Human36M: split_subjects must have the keys 'train', 'val' "
                f"and 'test', but has {sorted(split_subjects)}.")
        self.split_subjects = {
            key: {check_positive_int(s, f'split_subjects[{key!r}]')
                  for s in ((value, ) if isinstance(value, int) else value)}
            for key, value in split_subjects.items()
        }
        for first, second in (('train', 'val'), ('train', 'test'),
                              ('val', 'test')):
            both = self.split_subjects[first] & self.split_subjects[second]
            if both:
                raise ValueError(
                    f'Human36M: subjects {sorted(both)} are in both the '
                    f'{first} and the {second} split; each subject belongs '
                    'to one split.')
        self.actions = None if actions is None else {str(a) for a in actions}
        self.cameras = None if cameras is None else {str(c) for c in cameras}
        super().__init__(
            split=split,
            input_frames=input_frames,
            output_frames=output_frames,
            stride=stride,
            interval=interval,
            image_size=image_size,
            pipeline=pipeline,
            data_root=data_root,
            **kwargs)

    def list_sequences(self) -> List[SequenceRecord]:
        """Group the frame files of this split's subjects into sequences."""
        root = self.data_root or ''
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'Human3.6M data_root "{root}" not found. {HUMAN36M_HELP}')
        subjects = self.split_subjects[self.split]
        if not subjects:
            raise ValueError(
                'Human36M: split_subjects gives no subject to the split '
                f'{self.split!r}; name some, or do not build this split '
                '(e.g. tools/train.py --no-validate).')
        groups: Dict[tuple, List[tuple]] = {}
        for directory, dirs, files in os.walk(root):
            dirs.sort()
            for name in files:
                if not name.lower().endswith(IMAGE_EXTENSIONS):
                    continue
                match = FRAME_NAME.match(name)
                if match is None:
                    raise ValueError(
                        f'Human3.6M frame file "{osp.join(directory, name)}" '
                        'is not named S<subject>_<Action>.<camera>_<NNNNNN>.'
                        f'<ext>. {HUMAN36M_HELP}')
                subject, action, camera, number, _ = match.groups()
                if int(subject) not in subjects:
                    continue
                if self.actions is not None and action not in self.actions:
                    continue
                if self.cameras is not None and camera not in self.cameras:
                    continue
                key = (directory, int(subject), action, camera)
                groups.setdefault(key, []).append((int(number), name))
        records = []
        for key in sorted(groups, key=lambda k: (k[1], natural_sort_key(
                k[2]), k[3], k[0])):
            directory, subject, action, camera = key
            frames = sorted(groups[key])
            numbers = [number for number, _ in frames]
            if len(set(numbers)) != len(numbers):
                raise ValueError(
                    f'Human3.6M: the sequence S{subject}_{action}.{camera} in '
                    f'"{directory}" has two files with the same frame number '
                    f'(e.g. {frames[0][1]}); keep one file per frame. '
                    f'{HUMAN36M_HELP}')
            records.append(
                SequenceRecord(
                    name=f'S{subject}_{action}.{camera}',
                    length=len(frames),
                    source=FrameFiles(directory,
                                      [name for _, name in frames]),
                    meta=dict(subject=subject, action=action,
                              camera=camera)))
        return records

    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        return read_image(record.source.path(index), 'rgb', HUMAN36M_HELP)
