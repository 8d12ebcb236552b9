"""A checkpoint hook that never leaves the run without a usable checkpoint."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from stpredict.registry import HOOKS
from stpredict.utils.atomic_io import atomic_write
from stpredict.utils.resume import LAST_CHECKPOINT, record_name


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` made safe against crashes while saving.

    mmengine's hook deletes the oldest checkpoint (``max_keep_ckpts``)
    *before* writing the new one and writes ``last_checkpoint`` in place, so
    a process killed at the wrong moment can be left with no complete
    checkpoint, or with ``last_checkpoint`` naming a deleted or half-written
    file. This hook:

    1. writes the new checkpoint atomically (stpredict installs an atomic
       local file backend, see :mod:`stpredict.utils.atomic_io`);
    2. then points ``last_checkpoint`` at it, again atomically;
    3. only then deletes the checkpoints that fell out of
       ``max_keep_ckpts``.

    Whatever instant the process dies, ``last_checkpoint`` names a complete
    file. It takes the same arguments as ``CheckpointHook``.
    """

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
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)
