"""The Weizmann human action dataset (Blank et al., ICCV 2005)."""
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import list_files, list_subdirs, read_image
from stpredict.registry import DATASETS
from .frame_sequences import (FrameFiles, SequenceRecord,
                              WindowedSequenceDataset)

WEIZMANN_HELP = (
    'Expected layout: <data_root>/<action>/<person>_<action>[N]/'
    'image_XXXX.png (one folder of frames per video, e.g. '
    'walk/daria_walk/image_0001.png, run/lena_run1/...; actions bend, jack, '
    'jump, pjump, run, side, skip, walk, wave1, wave2). Make it from the '
    'Weizmann .avi files (https://www.wisdom.weizmann.ac.il/~vision/'
    'SpaceTimeActions.html) with: python '
    'tools/dataset_converters/weizmann.py <folder of the .avi files> '
    '<data_root>.')


@DATASETS.register_module()
class Weizmann(WindowedSequenceDataset):
    """The Weizmann actions: about 90 low-resolution videos (180x144) of 9
    persons doing 10 actions.

    **Layout.** ``<data_root>/<action>/<person>_<action>[N]/<frames>``: one
    folder of frame images per video, named after the ``.avi`` file
    (``daria_walk``; Lena has two takes of run, skip and walk:
    ``lena_run1``, ``lena_run2``). ``tools/dataset_converters/weizmann.py``
    makes it from the ``.avi`` files. Frames are read as grayscale
    (``C = 1``; the videos are nearly gray) and resized to ``image_size``.

    **Splits, by person** (the dataset defines none): ``train`` = daria,
    denis, eli, ido, ira, lena; ``val`` = lyova; ``test`` = moshe, shahar.
    Every video of a person is in that person's split. TMU uses Weizmann
    only as a source domain to pretrain on; pass ``split_persons`` to train
    on more persons. Persons in no split are not used; a person in two
    splits is an error.

    **Windows**: over each video, ``T = input_frames + output_frames``
    frames every ``interval`` frames, starts ``stride`` frames apart:
    ``floor((n - span) / stride) + 1`` windows for ``n`` frames, ``span =
    (T - 1) * interval + 1`` (see :mod:`stpredict.datasets.frame_sequences`).

    **TMU setting** (human-motion benchmark, source domain): TMU states that
    the source and target memories are 64x32x32 but not the source frame
    size; ``configs/_base_/datasets/weizmann.py`` uses 128x128 gray frames
    and 10 -> 10, patched 4x4 (32x32) like Human3.6M.

    Data infos also hold ``person`` and ``action``.

    Args:
        data_root (str): Root of the layout above. Defaults to
            ``'data/weizmann'``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        actions (Sequence[str]): Actions to use. Defaults to all ten.
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
        stride (int, optional): Frames between window starts. Defaults to
            None: ``T * interval`` (windows share no frame).
        interval (int): Frame-sampling interval within a window. Defaults to
            1.
        image_size (int | tuple[int, int], optional): Output frame size.
            Defaults to 128.
        split_persons (dict, optional): Person names of each split,
            ``dict(train=..., val=..., test=...)``. Defaults to None: the
            split above.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    ACTIONS = ('bend', 'jack', 'jump', 'pjump', 'run', 'side', 'skip', 'walk',
               'wave1', 'wave2')
    PERSONS = ('daria', 'denis', 'eli', 'ido', 'ira', 'lena', 'lyova',
               'moshe', 'shahar')
    DEFAULT_SPLIT_PERSONS = dict(
        train=('daria', 'denis', 'eli', 'ido', 'ira', 'lena'),
        val=('lyova', ),
        test=('moshe', 'shahar'))
    LAYOUT_HELP = WEIZMANN_HELP

    def __init__(self,
                 data_root: str = 'data/weizmann',
                 split: str = 'train',
                 actions: Sequence[str] = ACTIONS,
                 input_frames: int = 10,
                 output_frames: int = 10,
                 stride: Optional[int] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = 128,
                 split_persons: Optional[Dict[str, Sequence[str]]] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        if isinstance(actions, str):
            actions = (actions, )
        if not actions:
            raise ValueError('Weizmann: actions must name at least one '
                             f'action of {self.ACTIONS}.')
        self.actions = tuple(actions)
        split_persons = dict(split_persons or self.DEFAULT_SPLIT_PERSONS)
        if set(split_persons) != {'train', 'val', 'test'}:
            raise ValueError(
                "Weizmann: split_persons must have the keys 'train', 'val' "
                f"and 'test', but has {sorted(split_persons)}.")
        self.split_persons = {
            key: {value} if isinstance(value, str) else set(value)
            for key, value in split_persons.items()
        }
        for first, second in (('train', 'val'), ('train', 'test'),
                              ('val', 'test')):
            both = self.split_persons[first] & self.split_persons[second]
            if both:
                raise ValueError(
                    f'Weizmann: persons {sorted(both)} are in both the '
                    f'{first} and the {second} split; each person belongs to '
                    'one split.')
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
        """The videos of the persons of this split (folder names only)."""
        root = self.data_root or ''
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'Weizmann data_root "{root}" not found. {WEIZMANN_HELP}')
        persons = self.split_persons[self.split]
        if not persons:
            raise ValueError(
                'Weizmann: split_persons gives no person to the split '
                f'{self.split!r}; name some, or do not build this split '
                '(e.g. tools/train.py --no-validate).')
        records = []
        for action in self.actions:
            action_dir = osp.join(root, action)
            if not osp.isdir(action_dir):
                raise FileNotFoundError(
                    f'Weizmann action folder "{action_dir}" not found. '
                    f'{WEIZMANN_HELP}')
            for video in list_subdirs(action_dir):
                person, _, rest = video.partition('_')
                if not person or not rest.startswith(action) or not (
                        rest[len(action):] == ''
                        or rest[len(action):].isdigit()):
                    raise ValueError(
                        f'Weizmann video folder "{osp.join(action_dir, video)}'
                        f'" is not named <person>_{action}[N]. '
                        f'{WEIZMANN_HELP}')
                if person not in persons:
                    continue
                video_dir = osp.join(action_dir, video)
                names = list_files(video_dir)
                if not names:
                    raise ValueError(
                        f'Weizmann video folder "{video_dir}" holds no frame '
                        f'images. {WEIZMANN_HELP}')
                records.append(
                    SequenceRecord(
                        name=f'{action}/{video}',
                        length=len(names),
                        source=FrameFiles(video_dir, names),
                        meta=dict(person=person, action=action)))
        return records

    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        return read_image(record.source.path(index), 'gray', WEIZMANN_HELP)
