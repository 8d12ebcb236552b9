"""A checkpoint that runs code when unpickled, for the safety tests."""
import os
import pathlib
from typing import Union

import torch


class CreatesFileWhenUnpickled:
    """Unpickling this object creates a file: a stand-in for any code.

    Args:
        path (str | os.PathLike): The file that unpickling creates.
    """

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.path), ))


def write_malicious_checkpoint(path: Union[str, os.PathLike],
                               marker: Union[str, os.PathLike],
                               **content) -> None:
    """Save a checkpoint whose unpickling creates ``marker``.

    The file holds ``content`` (e.g. ``state_dict``, ``meta``) plus a
    ``payload`` that creates ``marker``. Before returning, it proves the file
    really is malicious: an unsafe ``torch.load`` creates the marker, which
    is then removed again.

    Args:
        path (str | os.PathLike): The checkpoint file to write.
        marker (str | os.PathLike): The file that unpickling creates.
        **content: The checkpoint's other entries.
    """
    torch.save(dict(content, payload=CreatesFileWhenUnpickled(marker)), path)
    torch.load(path, weights_only=False)
    if not os.path.exists(marker):
        raise AssertionError(f'{path} did not create {marker} when '
                             'unpickled unsafely.')
    os.remove(marker)
