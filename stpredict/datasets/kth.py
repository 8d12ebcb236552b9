"""The KTH human action dataset (Schuldt et al., ICPR 2004)."""
import os.path as osp
import re
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from stpredict.fileio import (check_positive_int, list_files, list_subdirs,
                              read_image)
from stpredict.registry import DATASETS
from .frame_sequences import (FrameFiles, SequenceRecord,
                              WindowedSequenceDataset)

KTH_HELP = (
    'Expected layout: <data_root>/<action>/personXX_<action>_dN_uncomp/'
    'image_XXXX.png (one folder of grayscale frames per video; actions '
    'boxing, handclapping, handwaving, jogging, running, walking; persons '
    '01-25, scenarios d1-d4). Make it from the KTH .avi files '
    '(https://www.csc.kth.se/cvap/actions/) with: python '
    'tools/dataset_converters/kth.py <folder of the .avi files> '
    '<data_root>.')

_VIDEO_DIR = re.compile(r'^person(\d+)_([a-z]+)_d(\d+)(?:_uncomp)?$')


def _person_set(persons: Union[int, Sequence[int]], split: str) -> set:
    if isinstance(persons, int):
        persons = (persons, )
    try:
        return {check_positive_int(p, f'split_persons[{split!r}]')
                for p in persons}
    except TypeError:
        raise ValueError(f'split_persons[{split!r}] must be a sequence of '
                         f'person numbers, but got {persons!r}.') from None


@DATASETS.register_module()
class KTH(WindowedSequenceDataset):
    """The KTH human action videos: 6 actions by 25 persons, gray 160x120.

    **Layout.** ``<data_root>/<action>/personXX_<action>_dN_uncomp/
    image_XXXX.png``: one folder of frames per video (the folder name may
    lack ``_uncomp``; frames may be any image format and are sorted
    naturally). ``tools/dataset_converters/kth.py`` makes it from the
    ``.avi`` files of the KTH site. Frames are read as grayscale
    (``C = 1``) and resized to ``image_size``.

    **Splits, by person** (a person's videos are all in one split):
    persons 1-16 are KTH's training persons and 17-25 its test persons
    (PredRNN, MS-RNN). KTH has no validation split, so persons 15 and 16 are
    carved from the training persons for it: by default ``train`` = persons
    1-14, ``val`` = 15-16, ``test`` = 17-25. To train on all 16 training
    persons as the papers do, pass ``split_persons=dict(train=list(range(1,
    17)), val=[], test=list(range(17, 26)))`` and train without validation
    (``tools/train.py --no-validate``). Persons in no split are not used; a
    person in two splits is an error.

    **Windows**: over each video, ``T = input_frames + output_frames``
    frames taken every ``interval`` frames, window starts ``stride`` frames
    apart (see :mod:`stpredict.datasets.frame_sequences`): a video of ``n``
    frames gives ``floor((n - span) / stride) + 1`` windows, ``span = (T -
    1) * interval + 1``. ``stride`` may differ per action: MS-RNN uses 10
    for walking and jogging and 3 for running (``stride=dict(walking=10,
    jogging=10, running=3)``). Whole videos are used (the frame ranges of
    KTH's ``00sequences.txt`` are not applied).

    **Settings of the papers**: PredRNN/TMU: all 6 actions, 128x128, 10 ->
    10 (``configs/_base_/datasets/kth.py``); MS-RNN: walking, jogging and
    running, 88x88, 10 -> 10 with the strides above
    (``configs/_base_/datasets/kth_msrnn.py``; MS-RNN also crops the frames
    to keep the person visible, which it does not specify and is not done
    here).

    Data infos also hold ``person``, ``action`` and ``scenario``.

    Args:
        data_root (str): Root of the layout above. Defaults to
            ``'data/kth'``.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        actions (Sequence[str]): Actions to use. Defaults to all six.
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
        stride (int | dict[str, int], optional): Frames between window
            starts, one for all actions or one per action (actions not in the
            dict use ``T * interval``). Defaults to None: ``T * interval``
            (windows share no frame).
        interval (int): Frame-sampling interval within a window. Defaults to
            1.
        image_size (int | tuple[int, int], optional): Output frame size
            ``(height, width)``. Defaults to 128.
        split_persons (dict, optional): Person numbers of each split,
            ``dict(train=..., val=..., test=...)``. Defaults to None: the
            split described above.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``indices``, ``test_mode``, ``lazy_init``, ...).
    """

    ACTIONS = ('boxing', 'handclapping', 'handwaving', 'jogging', 'running',
               'walking')
    DEFAULT_SPLIT_PERSONS = dict(
        train=tuple(range(1, 15)), val=(15, 16), test=tuple(range(17, 26)))
    LAYOUT_HELP = KTH_HELP

    def __init__(self,
                 data_root: str = 'data/kth',
                 split: str = 'train',
                 actions: Sequence[str] = ACTIONS,
                 input_frames: int = 10,
                 output_frames: int = 10,
                 stride: Optional[Union[int, Mapping[str, int]]] = None,
                 interval: int = 1,
                 image_size: Optional[Union[int, Sequence[int]]] = 128,
                 split_persons: Optional[Dict[str, Sequence[int]]] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        if isinstance(actions, str):
            actions = (actions, )
        unknown = [a for a in actions if a not in self.ACTIONS]
        if unknown or not actions:
            raise ValueError(f'KTH: unknown actions {unknown or actions}; '
                             f'choose from {self.ACTIONS}.')
        self.actions = tuple(actions)
        split_persons = dict(split_persons or self.DEFAULT_SPLIT_PERSONS)
        if set(split_persons) != {'train', 'val', 'test'}:
            raise ValueError(
                "KTH: split_persons must have the keys 'train', 'val' and "
                f"'test', but has {sorted(split_persons)}.")
        self.split_persons = {
            key: _person_set(value, key)
            for key, value in split_persons.items()
        }
        for first, second in (('train', 'val'), ('train', 'test'),
                              ('val', 'test')):
            both = self.split_persons[first] & self.split_persons[second]
            if both:
                raise ValueError(
                    f'KTH: persons {sorted(both)} are in both the {first} and '
                    f'the {second} split; each person belongs to one split.')
        self.action_strides: Dict[str, int] = {}
        if isinstance(stride, Mapping):
            for action, value in stride.items():
                if action not in self.ACTIONS:
                    raise ValueError(f'KTH: stride names the unknown action '
                                     f'{action!r}; actions: {self.ACTIONS}.')
                self.action_strides[action] = check_positive_int(
                    value, f'stride[{action!r}]')
            stride = None
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
        persons = self.split_persons[self.split]
        if not persons:
            raise ValueError(
                'KTH: split_persons gives no person to the split '
                f'{self.split!r}; name some, or do not build this split '
                '(e.g. tools/train.py --no-validate).')
        root = self.data_root or ''
        if not osp.isdir(root):
            raise FileNotFoundError(
                f'KTH data_root "{root}" not found. {KTH_HELP}')
        records = []
        for action in self.actions:
            action_dir = osp.join(root, action)
            if not osp.isdir(action_dir):
                raise FileNotFoundError(
                    f'KTH action folder "{action_dir}" not found. {KTH_HELP}')
            for video in list_subdirs(action_dir):
                match = _VIDEO_DIR.match(video)
                if match is None or match.group(2) != action:
                    raise ValueError(
                        f'KTH video folder "{osp.join(action_dir, video)}" is '
                        f'not named person<XX>_{action}_d<N>[_uncomp]. '
                        f'{KTH_HELP}')
                person = int(match.group(1))
                if person not in persons:
                    continue
                video_dir = osp.join(action_dir, video)
                names = list_files(video_dir)
                if not names:
                    raise ValueError(
                        f'KTH video folder "{video_dir}" holds no frame '
                        f'images. {KTH_HELP}')
                records.append(
                    SequenceRecord(
                        name=f'{action}/{video}',
                        length=len(names),
                        source=FrameFiles(video_dir, names),
                        stride=self.action_strides.get(action),
                        meta=dict(
                            person=person,
                            action=action,
                            scenario=int(match.group(3)))))
        return records

    def read_frame(self, record: SequenceRecord, index: int) -> np.ndarray:
        return read_image(record.source.path(index), 'gray', KTH_HELP)
