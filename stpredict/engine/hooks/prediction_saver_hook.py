"""Save the predicted frames of every test sequence to one array."""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import collect_results, is_main_process
from mmengine.hooks import Hook

from stpredict.registry import HOOKS

#: Meta keys of a data sample that say which sequence and frames it holds.
SEQUENCE_KEYS = ('sample_idx', 'sequence_name', 'sequence_idx', 'split',
                 'start_frame', 'frame_interval')


def _plain(value: Any) -> Any:
    """A meta value as JSON (numbers and strings; others as text)."""
    if hasattr(value, 'item') and getattr(value, 'ndim', 1) == 0:
        value = value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def sequence_info(metainfo: Dict[str, Any]) -> Dict[str, Any]:
    """The :data:`SEQUENCE_KEYS` a sample's metainfo holds.

    Args:
        metainfo (dict): The data sample's meta information.

    Returns:
        dict: Those keys, with JSON-able values.
    """
    return {
        key: _plain(metainfo[key])
        for key in SEQUENCE_KEYS if key in metainfo
    }


@HOOKS.register_module()
class PredictionSaverHook(Hook):
    """Write the forecasts of a test run to ``out_dir/predictions.npy``.

    After every test iteration the ``pred_frames`` of each sequence
    (``[T_out, C, H, W]``, float in ``[0, 1]``, as the model returns them)
    are kept on the CPU with the sequence's ``sample_idx``. After the test
    epoch the entries of all ranks are gathered with mmengine's
    :func:`~mmengine.dist.collect_results` (so distributed tests work; the
    padding that a distributed sampler adds is dropped), sorted by
    ``sample_idx`` and saved by the main process as one float32 array
    ``[N, T_out, C, H, W]`` in dataset order, next to ``sample_idx.npy``
    (the dataset index of each row) and ``sequences.json``: for each row,
    what the dataset tells of the sequence (:data:`SEQUENCE_KEYS` that its
    samples carry: ``sequence_name`` and ``start_frame`` for frame folders
    and radar files, ``sequence_idx`` for generated or array datasets).
    ``tools/test.py --save-predictions DIR`` adds this hook.

    Args:
        out_dir (str): Folder of the output files; created if missing.
        filename (str): Name of the array file. Defaults to
            ``'predictions.npy'``.
        collect_device (str): Where results are gathered across ranks,
            ``'cpu'`` (through a temporary folder) or ``'gpu'``. Defaults
            to ``'cpu'``.
    """

    priority = 'LOW'

    def __init__(self,
                 out_dir: str,
                 filename: str = 'predictions.npy',
                 collect_device: str = 'cpu') -> None:
        if not out_dir:
            raise ValueError('PredictionSaverHook needs an out_dir.')
        if collect_device not in ('cpu', 'gpu'):
            raise ValueError("collect_device must be 'cpu' or 'gpu', got "
                             f'{collect_device!r}.')
        self.out_dir = out_dir
        self.filename = filename
        self.collect_device = collect_device
        self._results: List[Tuple[int, np.ndarray, dict]] = []

    @property
    def out_file(self) -> str:
        """Path of the predictions array."""
        return osp.join(self.out_dir, self.filename)

    def before_test_epoch(self, runner) -> None:
        self._results = []

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        for position, sample in enumerate(outputs or []):
            index = sample.metainfo.get('sample_idx')
            if index is None:  # no index: keep the loader's order
                index = batch_idx * len(outputs) + position
            pred = sample.pred_frames.detach().float().cpu().numpy()
            info = sequence_info(sample.metainfo)
            info['sample_idx'] = int(index)
            self._results.append((int(index), pred, info))

    def after_test_epoch(self, runner, metrics=None) -> None:
        size = len(runner.test_dataloader.dataset)
        results = collect_results(self._results, size, self.collect_device)
        self._results = []
        if not is_main_process():
            return
        # a sampler may visit sequences in any order; rows follow the index
        by_index = {index: (pred, info) for index, pred, info in results}
        indices = np.array(sorted(by_index), dtype=np.int64)
        predictions = np.stack([by_index[int(i)][0] for i in indices])
        os.makedirs(self.out_dir, exist_ok=True)
        np.save(self.out_file, predictions.astype(np.float32))
        np.save(osp.join(self.out_dir, 'sample_idx.npy'), indices)
        with open(osp.join(self.out_dir, 'sequences.json'), 'w') as file:
            json.dump([by_index[int(i)][1] for i in indices], file,
                      indent=1)
        runner.logger.info(
            f'Saved the predictions of {len(indices)} test sequences '
            f'{tuple(predictions.shape)} to {self.out_file}')
