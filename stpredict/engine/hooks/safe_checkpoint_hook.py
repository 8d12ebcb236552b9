"""A checkpoint hook that never leaves the run without a usable checkpoint."""
import json
import math
import os
import os.path as osp
import re
from typing import Any, Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from stpredict.registry import HOOKS
from stpredict.utils.atomic_io import atomic_write, checksum_path
from stpredict.utils.resume import (LAST_CHECKPOINT, is_complete_checkpoint,
                                    record_name)

#: The file in a work dir that records the best checkpoints and scores.
BEST_RECORD = 'best_checkpoints.json'


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` made safe against crashes while saving.

    mmengine's hook deletes the oldest checkpoint (``max_keep_ckpts``)
    *before* writing the new one, deletes the previous best checkpoint before
    writing the new best, and writes ``last_checkpoint`` in place, so a
    process killed at the wrong moment can be left with no complete
    checkpoint, no best checkpoint, or ``last_checkpoint`` naming a deleted
    or half-written file. This hook:

    1. writes the new checkpoint atomically (stpredict installs an atomic
       local file backend, see :mod:`stpredict.utils.atomic_io`);
    2. then points ``last_checkpoint`` at it, again atomically (relative to
       the work dir);
    3. only then deletes the checkpoints that fell out of
       ``max_keep_ckpts``;
    4. replaces a best checkpoint the same way - new file first, the old
       one removed after - and records the best files and scores in
       ``WORK_DIR/best_checkpoints.json`` (written atomically before and
       after each replacement). A resumed run takes its best scores from
       that record: the periodic checkpoint it resumes from was written
       before the validation that found the last best, so its own copy of
       the scores can be out of date.

    Whatever instant the process dies, ``last_checkpoint`` names a complete
    file and a best checkpoint (once one was written) exists. It takes the
    same arguments as ``CheckpointHook``.
    """

    # -- periodic checkpoints ---------------------------------------------
    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Save the checkpoint of ``step``, then retire outdated ones.

        Args:
            runner (Runner): The runner.
            step (int): The epoch or iteration number of the checkpoint.
            meta (dict): Extra meta information saved in the checkpoint.
        """
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        # relative to the work dir: a copied work dir resumes from its own
        # files (older records hold absolute paths and still read)
        atomic_write(record_name(self.last_ckpt, runner.work_dir),
                     osp.join(runner.work_dir, LAST_CHECKPOINT))
        for old_step in outdated:
            path = self.file_backend.join_path(self.out_dir,
                                               self.filename_tmpl.format(
                                                   old_step))
            self._remove(path)

    def _remove(self, path: Optional[str]) -> bool:
        """Remove a checkpoint (file or folder) and its checksum file."""
        if not path:
            return False
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)
        else:
            return False
        record = checksum_path(path)
        if osp.isfile(record):  # (a backend other than stpredict's)
            self.file_backend.remove(record)
        return True

    # -- best checkpoints -------------------------------------------------
    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Keep the best checkpoint of a training run's validation.

        A validation outside training (``runner.val()`` on its own, e.g. to
        score a loaded checkpoint) has no training state to save and no
        output folder set up by :meth:`before_train`: it saves nothing.

        Args:
            runner (Runner): The runner.
            metrics (dict, optional): The validation metrics.
        """
        if not hasattr(self, 'file_backend'):  # before_train never ran
            return
        super().after_val_epoch(runner, metrics)

    def _best_keys(self, key_indicator: str):
        """The message-hub keys of a key indicator (as mmengine names
        them)."""
        if len(self.key_indicators) == 1:
            return 'best_score', 'best_ckpt'
        return (f'best_score_{key_indicator}', f'best_ckpt_{key_indicator}')

    def _record_path(self) -> str:
        return osp.join(self.out_dir, BEST_RECORD)

    def _read_record(self) -> Dict[str, Any]:
        try:
            with open(self._record_path()) as file:
                record = json.load(file)
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def _write_record(self, record: Dict[str, Any]) -> None:
        atomic_write(json.dumps(record, indent=2, sort_keys=True),
                     self._record_path(), fsync=True)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """Save a new best checkpoint, then remove the previous one.

        Args:
            runner (Runner): The runner.
            metrics (dict): The validation metrics.
        """
        if not self.save_best:
            return
        if self.by_epoch:
            ckpt_filename = self.filename_tmpl.format(runner.epoch)
            cur_type, cur_time = 'epoch', runner.epoch
        else:
            ckpt_filename = self.filename_tmpl.format(runner.iter)
            cur_type, cur_time = 'iter', runner.iter
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])

        updated = False
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            key_score = metrics[key_indicator]
            score_key, ckpt_key = self._best_keys(key_indicator)
            best_score = runner.message_hub.get_info(
                score_key, self.init_value_map[rule])
            if key_score is None or not self.is_better_than[key_indicator](
                    key_score, best_score):
                continue
            updated = True
            previous = runner.message_hub.get_info(ckpt_key)
            if previous:  # this work dir's file (also in a copied one)
                previous = self.file_backend.join_path(
                    self.out_dir, osp.basename(previous))
            name = f'best_{key_indicator}_{ckpt_filename}'.replace('/', '_')
            path = self.file_backend.join_path(self.out_dir, name)
            runner.message_hub.update_info(score_key, key_score)
            runner.message_hub.update_info(ckpt_key, path)
            if len(self.key_indicators) == 1:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key_indicator] = path
            if is_main_process():
                # 1. record the new best (and the one it replaces)
                record = self._read_record()
                record[key_indicator] = dict(
                    checkpoint=name, score=_plain(key_score), rule=rule,
                    previous=osp.basename(previous) if previous else None,
                    previous_score=_plain(best_score)
                    if previous else None)
                self._write_record(record)
            # 2. write it (rank 0 only; this is a collective-free call)
            runner.save_checkpoint(
                self.out_dir,
                filename=name,
                file_client_args=self.file_client_args,
                save_optimizer=False,
                save_param_scheduler=False,
                meta=meta,
                by_epoch=False,
                backend_args=self.backend_args)
            if is_main_process():
                # 3. only now retire the previous best, 4. and say so
                if previous and osp.abspath(previous) != osp.abspath(path) \
                        and self._remove(previous):
                    runner.logger.info(
                        f'The previous best checkpoint {previous} is '
                        'removed')
                record = self._read_record()
                record[key_indicator].update(previous=None,
                                             previous_score=None)
                self._write_record(record)
            runner.logger.info(
                f'The best checkpoint with {key_score:0.4f} {key_indicator} '
                f'at {cur_time} {cur_type} is saved to {name}.')
        # save the periodic checkpoint again so that it holds the new best
        # score and path (as mmengine does)
        if updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, cur_time, meta)

    def before_train(self, runner) -> None:
        """Set up as mmengine does, then take the best scores from the
        record of the work dir (they may be newer than the checkpoint the
        run resumed from) and tidy up a replacement cut off by a kill.

        Args:
            runner (Runner): The runner.
        """
        super().before_train(runner)
        self._remove_orphans(runner)
        if not self.save_best:
            return
        record = self._read_record()
        if 'auto' in self.key_indicators:
            # the key is known once a best was recorded
            if len(record) == 1:
                key_indicator, entry = next(iter(record.items()))
                if isinstance(entry, dict):
                    self._init_rule([entry.get('rule')], [key_indicator])
                    self._restore_best(runner, key_indicator, entry)
            return
        for key_indicator in self.key_indicators:
            self._restore_best(runner, key_indicator,
                               record.get(key_indicator))

    def _remove_orphans(self, runner) -> None:
        """Remove periodic checkpoints that a kill left beyond
        ``max_keep_ckpts``: older than every kept one, and not kept (the
        run died between writing a checkpoint and retiring the oldest)."""
        if self.max_keep_ckpts <= 0 or not self.keep_ckpt_ids or \
                not is_main_process() or not osp.isdir(self.out_dir):
            return
        oldest = min(self.keep_ckpt_ids)
        pattern = re.compile('^' + re.escape(self.filename_tmpl).replace(
            re.escape('{}'), r'(\d+)') + '$')
        for name in os.listdir(self.out_dir):
            match = pattern.match(name)
            if match and int(match.group(1)) < oldest and int(
                    match.group(1)) not in self.keep_ckpt_ids:
                path = self.file_backend.join_path(self.out_dir, name)
                if self._remove(path):
                    runner.logger.info(
                        f'Removed {path}: beyond max_keep_ckpts='
                        f'{self.max_keep_ckpts}, left by an interrupted '
                        'run.')

    def _restore_best(self, runner, key_indicator: str,
                      entry: Optional[dict]) -> None:
        if not isinstance(entry, dict) or not isinstance(
                entry.get('checkpoint'), str):
            return
        score_key, ckpt_key = self._best_keys(key_indicator)

        def usable(name: Optional[str]) -> Optional[str]:
            if not isinstance(name, str):
                return None
            path = self.file_backend.join_path(self.out_dir,
                                               osp.basename(name))
            return path if is_complete_checkpoint(path) else None

        current, score = usable(entry['checkpoint']), entry.get('score')
        previous = usable(entry.get('previous'))
        if current is None and previous is not None:
            # killed while writing the new best: the old one stays best
            current, score = previous, entry.get('previous_score')
        elif current is not None and previous is not None and \
                is_main_process():
            # killed after writing the new best, before removing the old
            self._remove(previous)
        if current is None or not isinstance(score, (int, float)):
            return
        runner.message_hub.update_info(score_key, score)
        runner.message_hub.update_info(ckpt_key, current)
        if len(self.key_indicators) == 1:
            self.best_ckpt_path = current
        else:
            self.best_ckpt_path_dict[key_indicator] = current
        if is_main_process():
            record = self._read_record()
            record[key_indicator] = dict(
                checkpoint=osp.basename(current), score=score,
                rule=entry.get('rule'), previous=None, previous_score=None)
            self._write_record(record)


def _plain(value: Any) -> Any:
    """A score as a JSON number (numpy and torch scalars included)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
