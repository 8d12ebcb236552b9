"""A LoggerHook that writes validation scalars at the step they belong to."""
import math
import os.path as osp
import re
from numbers import Real
from typing import Dict, Optional, Sequence

from mmengine.fileio import dump
from mmengine.hooks import LoggerHook
from mmengine.runner import BaseLoop

from stpredict.registry import HOOKS

#: Timing keys that LogProcessor reports for every phase under one name.
TIMING_KEYS = ('time', 'data_time')
#: Validation and test report progress at least this many times per pass.
PROGRESS_LINES = 5


def checkpoint_progress(checkpoint: Optional[dict]
                        ) -> Dict[str, Optional[int]]:
    """The training progress stored in a checkpoint's meta.

    The Runner saves ``meta['iter']`` and ``meta['epoch']``. A checkpoint
    exported without them (weights only) may name the file it was cut from
    in ``meta['source']`` (e.g. ``best_mse_per_frame_iter_750.pth``): the
    iteration is then read from its ``iter_<N>``.

    Args:
        checkpoint (dict, optional): A loaded checkpoint.

    Returns:
        dict: ``iter`` and ``epoch``, None where the checkpoint does not
        tell.
    """
    meta = (checkpoint or {}).get('meta') or {}
    progress: Dict[str, Optional[int]] = {}
    for key in ('iter', 'epoch'):
        value = meta.get(key)
        progress[key] = int(value) if isinstance(
            value, (int, float)) and not isinstance(value, bool) else None
    if progress['iter'] is None and isinstance(meta.get('source'), str):
        match = re.search(r'(?:^|[^a-z])iter_(\d+)', meta['source'])
        if match:
            progress['iter'] = int(match.group(1))
    return progress


def evaluated_progress(runner,
                       loaded: Optional[Dict[str, Optional[int]]] = None,
                       key: str = 'iter') -> Optional[int]:
    """The training iteration (or epoch) of the weights being evaluated.

    During training (or after ``runner.train()``) this is the train loop's
    counter. In a run that only validates or tests (``tools/test.py``)
    the train loop is not built, and building it only to read 0 would
    load the training data: the counter then comes from the loaded
    checkpoint (``loaded``, from :func:`checkpoint_progress`).

    Args:
        runner (Runner): The runner.
        loaded (dict, optional): Progress of the loaded checkpoint.
            Defaults to None.
        key (str): ``'iter'`` or ``'epoch'``. Defaults to ``'iter'``.

    Returns:
        int, optional: The iteration (or epoch); None when neither a train
        loop nor the loaded checkpoint tells (untrained weights or a
        checkpoint without progress).
    """
    loop = getattr(runner, '_train_loop', None)
    if isinstance(loop, BaseLoop):
        return loop.iter if key == 'iter' else loop.epoch
    return (loaded or {}).get(key)


@HOOKS.register_module()
class MetricLoggerHook(LoggerHook):
    """mmengine's LoggerHook with validation scalars at their real step.

    Two differences from ``LoggerHook``, for every visualizer backend
    (``scalars.json`` of ``LocalVisBackend``, TensorBoard, ...):

    - Validation metrics are written at the training iteration at which the
      validation ran (or at the epoch, in epoch-based runs).
      ``LoggerHook`` writes them at the epoch by default
      (``log_metric_by_epoch=True``), which is always 0 in the
      iteration-based loops of stpredict. A run that only validates
      (``runner.val()`` with ``load_from``) writes them at the iteration
      of the loaded checkpoint.
    - The validation timings go to ``val/time`` and ``val/data_time``
      instead of the ``time`` and ``data_time`` of training, so that the
      training curves of those two keys hold training iterations only.

    - Validation and test report progress at least :data:`PROGRESS_LINES`
      times per pass and after the last batch, also when a pass has fewer
      batches than ``interval`` (a 16-batch test with ``interval=20``
      logged nothing until the end with ``LoggerHook``).
    - The line after a test lists the scalar results with 4 significant
      digits; the per-frame curves go to the JSON log (and to
      ``tools/test.py --out``), not into the text log.

    Args:
        log_metric_by_epoch (bool, optional): Write validation scalars at
            the epoch (True) or at the iteration (False). Defaults to None:
            follow the log processor's ``by_epoch`` (False in
            ``configs/_base_/default_runtime.py``).
        **kwargs: The other arguments of ``mmengine.hooks.LoggerHook``
            (``interval``, ``out_dir``, ...).
    """

    def __init__(self,
                 log_metric_by_epoch: Optional[bool] = None,
                 **kwargs) -> None:
        super().__init__(
            log_metric_by_epoch=bool(log_metric_by_epoch), **kwargs)
        self.metric_by_epoch = log_metric_by_epoch
        self._loaded: Dict[str, Optional[int]] = {}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint_progress(checkpoint)

    def _by_epoch(self, runner) -> bool:
        if self.metric_by_epoch is not None:
            return self.metric_by_epoch
        return bool(getattr(runner.log_processor, 'by_epoch', False))

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        tag, log_str = runner.log_processor.get_log_after_epoch(
            runner, len(runner.val_dataloader), 'val')
        runner.logger.info(log_str)
        scalars = {
            (f'val/{key}' if key in TIMING_KEYS else key): value
            for key, value in tag.items()
        }
        key = 'epoch' if self._by_epoch(runner) else 'iter'
        runner.visualizer.add_scalars(
            scalars,
            step=evaluated_progress(runner, self._loaded, key) or 0,
            file_path=self.json_log_path)

    def progress_interval(self, num_batches: int) -> int:
        """Batches between two progress lines of a validation or test pass.

        Args:
            num_batches (int): Batches of the pass.

        Returns:
            int: ``interval``, or less so that a pass logs at least
            :data:`PROGRESS_LINES` lines.
        """
        return max(1, min(self.interval,
                          math.ceil(num_batches / PROGRESS_LINES)))

    def _log_progress(self, runner, batch_idx: int, mode: str) -> None:
        loader = getattr(runner, f'{mode}_dataloader')
        num_batches = len(loader)
        interval = self.progress_interval(num_batches)
        if (batch_idx + 1) % interval == 0 or batch_idx + 1 == num_batches:
            _, log_str = runner.log_processor.get_log_after_iter(
                runner, batch_idx, mode)
            runner.logger.info(log_str)

    def after_val_iter(self,
                       runner,
                       batch_idx: int,
                       data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        self._log_progress(runner, batch_idx, 'val')

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        self._log_progress(runner, batch_idx, 'test')

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        from stpredict.evaluation.result_table import format_number
        num_batches = len(runner.test_dataloader)
        tag, _ = runner.log_processor.get_log_after_epoch(
            runner, num_batches, 'test', with_non_scalar=True)
        items = [
            f'{key}: {format_number(float(value))}'
            for key, value in tag.items()
            if isinstance(value, Real) and not isinstance(value, bool)
        ]
        curves = len(tag) - len(items)
        note = (f'  ({curves} per-frame curves in the JSON log and in '
                'tools/test.py --out)' if curves else '')
        runner.logger.info(f'Iter(test) [{num_batches}/{num_batches}]  ' +
                           '  '.join(items) + note)
        dump(self._process_tags(tag),
             osp.join(runner.log_dir, self.json_log_path))
