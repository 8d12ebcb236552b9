"""The sorted frame files of one directory, stored compactly."""
import os.path as osp
import re
from typing import List, Optional, Sequence

import numpy as np

_NUMBERED = re.compile(r'^(.*?)(\d+)(\D*)$')


class FrameFiles:
    """The sorted frame files of one directory, stored compactly.

    When every name is ``<prefix><number><suffix>`` with the same prefix,
    suffix and zero padding (``image_0001.png``, ``S1_Walking.54138969_000001
    .jpg``), only the numbers are kept (an int array); otherwise the names.
    A dataset of a million frames then pickles to its dataloader workers in
    a few megabytes.

    Args:
        directory (str): The directory of the files.
        names (Sequence[str]): The file names, already in frame order.
    """

    def __init__(self, directory: str, names: Sequence[str]) -> None:
        self.directory = directory
        self._names: Optional[List[str]] = None
        self._numbers: Optional[np.ndarray] = None
        self._pattern = ('', '', 0)
        compact = self._compact(names)
        if compact is None:
            self._names = list(names)
        else:
            self._pattern, self._numbers = compact

    @staticmethod
    def _compact(names: Sequence[str]):
        if not names:
            return None
        match = _NUMBERED.match(names[0])
        if match is None:
            return None
        prefix, digits, suffix = match.groups()
        width = len(digits) if digits.startswith('0') else 0
        numbers = []
        for name in names:
            match = _NUMBERED.match(name)
            if match is None or match.group(1) != prefix or match.group(
                    3) != suffix:
                return None
            number = int(match.group(2))
            if f'{prefix}{number:0{width}d}{suffix}' != name:
                return None
            numbers.append(number)
        return (prefix, suffix, width), np.asarray(numbers, np.int64)

    def __len__(self) -> int:
        if self._numbers is not None:
            return len(self._numbers)
        return len(self._names)

    def name(self, index: int) -> str:
        """File name of frame ``index``."""
        if self._numbers is not None:
            prefix, suffix, width = self._pattern
            return f'{prefix}{int(self._numbers[index]):0{width}d}{suffix}'
        return self._names[index]

    def path(self, index: int) -> str:
        """Path of frame ``index``."""
        return osp.join(self.directory, self.name(index))

    def slice(self, start: int, stop: int) -> 'FrameFiles':
        """The files ``start:stop`` (e.g. a chronological block)."""
        part = FrameFiles.__new__(FrameFiles)
        part.directory = self.directory
        part._pattern = self._pattern
        part._names = None if self._names is None else self._names[start:stop]
        part._numbers = (None if self._numbers is None else
                         self._numbers[start:stop])
        return part
