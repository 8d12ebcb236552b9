"""Save the predicted frames of every test sequence to one array."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import collect_results, is_main_process
from mmengine.hooks import Hook

from stpredict.registry import HOOKS


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
    (the dataset index of each row). ``tools/test.py --save-predictions DIR``
    adds this hook.

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
        self._results: List[Tuple[int, np.ndarray]] = []

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
            self._results.append((int(index), pred))

    def after_test_epoch(self, runner, metrics=None) -> None:
        size = len(runner.test_dataloader.dataset)
        results = collect_results(self._results, size, self.collect_device)
        self._results = []
        if not is_main_process():
            return
        # a sampler may visit sequences in any order; rows follow the index
        by_index = dict(results)
        indices = np.array(sorted(by_index), dtype=np.int64)
        predictions = np.stack([by_index[int(i)] for i in indices])
        os.makedirs(self.out_dir, exist_ok=True)
        np.save(self.out_file, predictions.astype(np.float32))
        np.save(osp.join(self.out_dir, 'sample_idx.npy'), indices)
        runner.logger.info(
            f'Saved the predictions of {len(indices)} test sequences '
            f'{tuple(predictions.shape)} to {self.out_file}')
