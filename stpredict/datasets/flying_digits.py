"""Flying digits: Moving-MNIST-style sequences generated on the fly."""
import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import cv2
import numpy as np

from stpredict.registry import DATASETS
from .base_sequence_dataset import BaseSequenceDataset
from .digit_source import BuiltinDigits, MNISTDigits, split_index_range


def reflect_into_range(positions: np.ndarray, travel: float) -> np.ndarray:
    """Fold free-flight coordinates into ``[0, travel]`` by reflection.

    A point that moves in a straight line and bounces off the walls at ``0``
    and ``travel`` (angle of incidence = angle of reflection) is, at every
    moment, at the free-flight coordinate folded back like a triangle wave of
    period ``2 * travel``. This is exact for any speed, including several
    bounces within one frame.

    Args:
        positions (np.ndarray): Free-flight coordinates (any shape).
        travel (float): Length of the range (>= 0).

    Returns:
        np.ndarray: The coordinates in ``[0, travel]``.
    """
    if travel <= 0:
        return np.zeros_like(positions)
    folded = np.mod(positions, 2 * travel)
    return np.where(folded > travel, 2 * travel - folded, folded)


@DATASETS.register_module()
class FlyingDigits(BaseSequenceDataset):
    """Synthetic sequences of 1, 2 or 3 digits flying over a black canvas.

    The "flying digits" of the TMU paper and the generator behind Moving
    MNIST: each digit (a 28x28 image) starts at a uniform position in
    ``[0, image_size - digit_size]`` (both axes), moves ``speed`` pixels per
    frame in a uniform random direction, and bounces off the canvas borders by
    reflection; digits are combined with a pixel-wise maximum. With the
    defaults (64x64 canvas, 28x28 digits, 3.6 px/frame) the motion is that of
    Moving MNIST (step length 0.1 of the 36-pixel travel range).

    Sequences are generated on request, deterministically: sample
    ``sequence_idx`` of a split draws everything from
    ``np.random.SeedSequence([seed, split_code, num_digits, sequence_idx])``
    (split codes train 0, val 1, test 2), so it is the same in every process,
    worker and order of access, and the splits differ. The digit images of
    each split come from a disjoint range of the digit source (see
    :func:`~stpredict.datasets.digit_source.split_index_range`: the last 10 %
    of the images are held out, half for val and half for test).

    Digit source: the MNIST training images when ``mnist_file`` is given,
    otherwise the built-in handwriting-like glyphs
    (:class:`~stpredict.datasets.digit_source.BuiltinDigits`), which need no
    download.

    Each data info holds ``sample_idx``, ``sequence_idx``, ``split``,
    ``num_digits``, ``input_frames_num`` and ``output_frames_num``; before the
    pipeline the generated ``frames`` (uint8 ``[T, H, W, 1]``, ``T =
    input_frames + output_frames``), ``positions`` (int64
    ``[num_digits, T, 2]``: the (row, column) of each digit's top-left corner
    in each frame), ``digit_ids`` (indices into the digit source) and, for the
    built-in source, ``digit_labels`` (the digit classes) are added.

    Args:
        num_digits (int): Digits per sequence: 1, 2 or 3. Defaults to 2.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to
            ``'train'``.
        num_sequences (int, optional): Number of sequences. Defaults to None:
            10000 for train, 2000 for val and 3000 for test (the TMU paper).
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Future frames ``T_out``. Defaults to 10.
        image_size (int): Side of the square canvas. Defaults to 64.
        digit_size (int): Side of a digit on the canvas; source images of
            another size are resized. Defaults to 28.
        speed (float): Distance a digit moves per frame, in pixels. Defaults
            to 3.6.
        seed (int): Seed of the sequences (>= 0). Defaults to 0.
        mnist_file (str, optional): Path of ``train-images-idx3-ubyte.gz``
            (or of the uncompressed file, a ``t10k-images-idx3-ubyte`` file,
            or their directory). Defaults to None: the built-in digits.
        pipeline (Sequence[dict | Callable]): Transforms applied to each
            sample. Defaults to ``(dict(type='PackSequenceInputs'), )``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``indices``, ``test_mode``, ``lazy_init``, ...).
            ``serialize_data`` defaults to False here: the data infos are
            tiny and building stays fast (about 10 ms for 10,000 sequences).
    """

    #: Code of each split in the seed of its sequences.
    SPLIT_CODES = {'train': 0, 'val': 1, 'test': 2}
    #: Number of sequences of each split by default (the TMU paper).
    DEFAULT_NUM_SEQUENCES = {'train': 10000, 'val': 2000, 'test': 3000}

    def __init__(self,
                 num_digits: int = 2,
                 split: str = 'train',
                 num_sequences: Optional[int] = None,
                 input_frames: int = 10,
                 output_frames: int = 10,
                 image_size: int = 64,
                 digit_size: int = 28,
                 speed: float = 3.6,
                 seed: int = 0,
                 mnist_file: Optional[str] = None,
                 pipeline: Sequence[Union[dict, Callable]] = (dict(
                     type='PackSequenceInputs'), ),
                 **kwargs) -> None:
        if split not in self.SPLIT_CODES:
            raise ValueError(
                f"split must be 'train', 'val' or 'test', but got {split!r}.")
        if isinstance(num_digits, bool) or num_digits not in (1, 2, 3):
            raise ValueError(
                f'num_digits must be 1, 2 or 3, but got {num_digits!r}.')
        if num_sequences is None:
            num_sequences = self.DEFAULT_NUM_SEQUENCES[split]
        if (isinstance(num_sequences, bool)
                or not isinstance(num_sequences, int) or num_sequences < 1):
            raise ValueError(
                'num_sequences must be an int >= 1 or None (10000/2000/3000 '
                f'for train/val/test), but got {num_sequences!r}.')
        if not isinstance(digit_size, int) or digit_size < 1:
            raise ValueError(
                f'digit_size must be an int >= 1, but got {digit_size!r}.')
        if not isinstance(image_size, int) or image_size < digit_size:
            raise ValueError(
                f'image_size must be an int >= digit_size ({digit_size}), '
                f'but got {image_size!r}.')
        if not math.isfinite(float(speed)) or speed < 0:
            raise ValueError(
                'speed (pixels per frame) must be a finite number >= 0, but '
                f'got {speed!r}; Moving MNIST uses 3.6.')
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f'seed must be an int >= 0, but got {seed!r}.')

        self.num_digits = int(num_digits)
        self.split = split
        self.num_sequences = int(num_sequences)
        self.image_size = image_size
        self.digit_size = digit_size
        self.speed = float(speed)
        self.seed = seed
        self.mnist_file = mnist_file
        if mnist_file is None:
            self.digit_source: Union[BuiltinDigits,
                                     MNISTDigits] = BuiltinDigits()
        else:
            self.digit_source = MNISTDigits.from_file(mnist_file)
        self.digit_range = split_index_range(len(self.digit_source), split)
        # the data infos are a few small dicts: serialising them would only
        # cost the full garbage collection mmengine runs when it serialises
        kwargs.setdefault('serialize_data', False)
        super().__init__(
            input_frames=input_frames,
            output_frames=output_frames,
            pipeline=pipeline,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """One data info per sequence (the frames are generated later).

        Returns:
            list[dict]: The data infos.
        """
        data_list = []
        for sequence_idx in range(self.num_sequences):
            info = self.frame_info(sequence_idx, self.split)
            info['num_digits'] = self.num_digits
            data_list.append(info)
        return data_list

    def load_sequence(self, data_info: Dict[str, Any]) -> Dict[str, Any]:
        """Generate the sequence of a data info (see :meth:`generate`)."""
        return self.generate(data_info['sequence_idx'])

    def digit_image(self, digit_id: int) -> np.ndarray:
        """Image ``digit_id`` of the digit source at ``digit_size``.

        Args:
            digit_id (int): Index into the digit source.

        Returns:
            np.ndarray: ``(digit_size, digit_size)`` uint8.
        """
        image = np.asarray(self.digit_source[digit_id], dtype=np.uint8)
        if image.shape != (self.digit_size, self.digit_size):
            shrink = image.shape[0] > self.digit_size
            image = cv2.resize(
                image, (self.digit_size, self.digit_size),
                interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        return image

    def generate(self, sequence_idx: int) -> Dict[str, Any]:
        """Generate sequence ``sequence_idx`` of this split.

        Args:
            sequence_idx (int): Index of the sequence in the split, in
                ``[0, num_sequences)`` (larger indices work too and give new
                sequences).

        Returns:
            dict: ``frames`` (uint8 ``[T, image_size, image_size, 1]``),
            ``positions`` (int64 ``[num_digits, T, 2]``, top-left (row,
            column) of each digit), ``digit_ids`` (int64 ``[num_digits]``)
            and, for the built-in digits, ``digit_labels`` (list of int).
        """
        rng = np.random.default_rng(
            np.random.SeedSequence([
                self.seed, self.SPLIT_CODES[self.split], self.num_digits,
                int(sequence_idx)
            ]))
        num_frames = self.total_frames
        travel = self.image_size - self.digit_size
        digit_ids = rng.integers(*self.digit_range, size=self.num_digits)
        start = rng.uniform(0.0, travel, size=(self.num_digits, 2))
        theta = rng.uniform(0.0, 2 * math.pi, size=self.num_digits)
        velocity = self.speed * np.stack([np.sin(theta), np.cos(theta)], -1)
        steps = np.arange(num_frames, dtype=np.float64)[None, :, None]
        free_flight = start[:, None, :] + velocity[:, None, :] * steps
        positions = np.rint(reflect_into_range(free_flight,
                                               travel)).astype(np.int64)

        size = self.digit_size
        frames = np.zeros((num_frames, self.image_size, self.image_size),
                          dtype=np.uint8)
        for digit, digit_id in enumerate(digit_ids):
            image = self.digit_image(int(digit_id))
            for t, (row, col) in enumerate(positions[digit]):
                window = frames[t, row:row + size, col:col + size]
                np.maximum(window, image, out=window)

        sequence = dict(
            frames=frames[..., None], positions=positions, digit_ids=digit_ids)
        if isinstance(self.digit_source, BuiltinDigits):
            sequence['digit_labels'] = [
                self.digit_source.label(int(i)) for i in digit_ids
            ]
        return sequence

    def __repr__(self) -> str:
        source = ('built-in digits' if self.mnist_file is None else
                  f'MNIST images from {self.mnist_file}')
        return (f'{type(self).__name__}(split={self.split!r}, '
                f'num_sequences={self.num_sequences}, '
                f'num_digits={self.num_digits}, '
                f'frames={self.input_frames}+{self.output_frames}, '
                f'image_size={self.image_size}, speed={self.speed}, '
                f'seed={self.seed}, digits={source})')
