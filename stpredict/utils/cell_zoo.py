"""The cells of the zoo, their model configs and the papers' reference figures.

Used by the analysis tools that compare every cell (parameters, FLOPs,
memory, speed) and by their tests.
"""
from typing import Dict, List, NamedTuple, Optional


class ZooEntry(NamedTuple):
    """One cell of the zoo.

    Attributes:
        key (str): Name of its config files
            (``configs/_base_/models/<key>_*``).
        name (str): Display name.
        msrnn_params (float, optional): Parameters (millions) of the model at
            the MS-RNN setting in MS-RNN Table 3 / Table 6.
        msrnn_flops (tuple, optional): Forward GFLOPs per Moving MNIST
            sequence, single-scale and multi-scale (MS-RNN Table 3).
        msrnn_memory (tuple, optional): Training memory in GB at batch 4 on
            4 GPUs, single-scale and multi-scale (MS-RNN Table 3).
    """
    key: str
    name: str
    msrnn_params: Optional[float] = None
    msrnn_flops: Optional[tuple] = None
    msrnn_memory: Optional[tuple] = None


CELL_ZOO: List[ZooEntry] = [
    ZooEntry('convlstm', 'ConvLSTM', 1.77, (137.7, 60.3), (5.50, 3.86)),
    ZooEntry('trajgru', 'TrajGRU', 2.11),
    ZooEntry('predrnn', 'PredRNN', 3.59, (279.3, 122.3), (10.44, 6.13)),
    ZooEntry('predrnnpp', 'PredRNN++', 5.61, (378.7, 163.7), (15.20, 8.18)),
    ZooEntry('mim', 'MIM', 7.36, (571.9, 250.4), (19.69, 10.09)),
    ZooEntry('motionrnn', 'MotionRNN', 7.56, (584.3, 255.9),
             (20.65, 10.48)),
    ZooEntry('predrnn_v2', 'PredRNN-V2', 3.60, (283.1, 124.0),
             (11.64, 6.66)),
    ZooEntry('preciplstm', 'PrecipLSTM', 7.04, (547.0, 239.5),
             (26.36, 12.56)),
    ZooEntry('cmslstm', 'CMS-LSTM', 4.48),
    ZooEntry('modernn', 'MoDeRNN', 5.86),
    ZooEntry('e3d_lstm', 'E3D-LSTM'),
    ZooEntry('mau', 'MAU'),
]

SETTINGS: Dict[str, str] = {
    # MS-RNN: 6 x 64, kernel 3, no patching, 1x1 stem and head
    'msrnn': 'configs/_base_/models/{key}_6x64_msrnn.py',
    # PredRNN / TMU: 4 x 64, kernel 5, 4x4 patches, 1x1 head
    'predrnn': 'configs/_base_/models/{key}_4x64.py',
}


def zoo_entries(keys: Optional[List[str]] = None) -> List[ZooEntry]:
    """Entries of the zoo, all or those named in ``keys`` (in that order).

    Args:
        keys (list[str], optional): Cell keys, e.g. ``['convlstm', 'mim']``.

    Returns:
        list[ZooEntry]: The entries.
    """
    if not keys:
        return list(CELL_ZOO)
    by_key = {entry.key: entry for entry in CELL_ZOO}
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        raise ValueError(f'Unknown cells {unknown}; choose from '
                         f'{sorted(by_key)}.')
    return [by_key[key] for key in keys]


def model_config_path(key: str, setting: str = 'msrnn') -> str:
    """The model config of a cell at a setting (relative to the repo root)."""
    if setting not in SETTINGS:
        raise ValueError(f'setting must be one of {sorted(SETTINGS)}, got '
                         f'{setting!r}.')
    return SETTINGS[setting].format(key=key)
