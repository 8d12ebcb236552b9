"""The cell zoo: every registered cell that declares ``zoo`` metadata.

A cell joins the zoo by declaring, on its own class, a ``zoo`` dict (see
:class:`~stpredict.models.cells.BaseCell`)::

    zoo = dict(key='convlstm', name='ConvLSTM', year=2015,
               paper='Shi et al., NeurIPS 2015', msrnn_params=1.77)

and by having the model configs ``configs/_base_/models/<key>_4x64.py``
(PredRNN / TMU setting) and ``configs/_base_/models/<key>_6x64_msrnn.py``
(MS-RNN setting). Nothing else lists the cells: the analysis tools that
compare every cell (parameters, FLOPs, memory, speed) and their tests read
the zoo from here. A subclass is another cell and joins only with a
``zoo`` of its own.
"""
from typing import Dict, List, NamedTuple, Optional

from stpredict.registry import CELLS

#: keys of a cell's ``zoo`` dict: required, then optional
REQUIRED_KEYS = ('key', 'name', 'year', 'paper')
OPTIONAL_KEYS = ('msrnn_params', 'msrnn_flops', 'msrnn_memory')

SETTINGS: Dict[str, str] = {
    # MS-RNN: 6 x 64, kernel 3, no patching, 1x1 stem and head
    'msrnn': 'configs/_base_/models/{key}_6x64_msrnn.py',
    # PredRNN / TMU: 4 x 64, kernel 5, 4x4 patches, 1x1 head
    'predrnn': 'configs/_base_/models/{key}_4x64.py',
}


class ZooEntry(NamedTuple):
    """One cell of the zoo.

    Attributes:
        key (str): Name of its config files
            (``configs/_base_/models/<key>_*``).
        name (str): Display name.
        year (int): Year of its paper (the zoo is listed in this order).
        paper (str): Its paper, e.g. ``'Shi et al., NeurIPS 2015'``.
        cell (str): The registered name of the cell class.
        msrnn_params (float, optional): Parameters (millions) of the model at
            the MS-RNN setting in MS-RNN Table 3 / Table 6.
        msrnn_flops (tuple, optional): Forward GFLOPs per Moving MNIST
            sequence, single-scale and multi-scale (MS-RNN Table 3).
        msrnn_memory (tuple, optional): Training memory in GB at batch 4 on
            4 GPUs, single-scale and multi-scale (MS-RNN Table 3).
    """
    key: str
    name: str
    year: int
    paper: str
    cell: str
    msrnn_params: Optional[float] = None
    msrnn_flops: Optional[tuple] = None
    msrnn_memory: Optional[tuple] = None


def _entry(cls: type) -> ZooEntry:
    """The zoo entry of a cell class, its ``zoo`` dict checked."""
    zoo = cls.__dict__['zoo']
    name = cls.__name__
    if not isinstance(zoo, dict):
        raise TypeError(f'{name}.zoo must be a dict such as dict(key=..., '
                        f'name=..., year=..., paper=...), got {zoo!r}.')
    missing = [k for k in REQUIRED_KEYS if k not in zoo]
    unknown = [k for k in zoo if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if missing or unknown:
        raise ValueError(
            f'{name}.zoo: missing keys {missing}, unknown keys {unknown}. '
            f'It needs {list(REQUIRED_KEYS)} and may have '
            f'{list(OPTIONAL_KEYS)}.')
    return ZooEntry(cell=name, **zoo)


def cell_zoo() -> List[ZooEntry]:
    """Every registered cell with its own ``zoo`` metadata, by year.

    Returns:
        list[ZooEntry]: The entries, in the order of their papers' years
        (ties by display name).

    Raises:
        ValueError: If two cells declare the same key.
    """
    classes = []
    for cls in CELLS.module_dict.values():
        if isinstance(cls, type) and 'zoo' in cls.__dict__ and \
                cls.__dict__['zoo'] is not None and cls not in classes:
            classes.append(cls)  # aliases name the same class
    entries = [_entry(cls) for cls in classes]
    keys: Dict[str, str] = {}
    for entry in entries:
        if entry.key in keys:
            raise ValueError(
                f'{keys[entry.key]} and {entry.cell} both declare the zoo '
                f'key {entry.key!r}; every cell needs its own key (the name '
                'of its configs).')
        keys[entry.key] = entry.cell
    return sorted(entries, key=lambda entry: (entry.year, entry.name))


def zoo_entries(keys: Optional[List[str]] = None) -> List[ZooEntry]:
    """Entries of the zoo, all or those named in ``keys`` (in that order).

    Args:
        keys (list[str], optional): Cell keys, e.g. ``['convlstm', 'mim']``.

    Returns:
        list[ZooEntry]: The entries.
    """
    entries = cell_zoo()
    if not keys:
        return entries
    by_key = {entry.key: entry for entry in entries}
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        raise ValueError(f'Unknown cells {unknown}; choose from '
                         f'{sorted(by_key)}.')
    return [by_key[key] for key in keys]


def model_config_path(key: str, setting: str = 'msrnn') -> str:
    """The model config of a cell at a setting (relative to the repo root).

    Args:
        key (str): The cell's zoo key.
        setting (str): ``'msrnn'`` or ``'predrnn'``. Defaults to ``'msrnn'``.

    Returns:
        str: e.g. ``'configs/_base_/models/convlstm_6x64_msrnn.py'``.
    """
    if setting not in SETTINGS:
        raise ValueError(f'setting must be one of {sorted(SETTINGS)}, got '
                         f'{setting!r}.')
    return SETTINGS[setting].format(key=key)
