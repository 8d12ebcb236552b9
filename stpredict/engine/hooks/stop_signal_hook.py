"""Stop cleanly on SIGTERM (pre-emption) and SIGINT (Ctrl-C)."""
import os
import shlex
import signal
import sys
import threading
from typing import Any, Dict, List, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from stpredict.registry import HOOKS


class TrainingInterrupted(Exception):
    """Training stopped on a signal after saving a checkpoint.

    Args:
        message (str): What happened and how to resume.
        signum (int): The signal.
    """

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell's code for a process ended by the signal (128 + N)."""
        return 128 + self.signum


def resume_command(argv: Optional[List[str]] = None) -> str:
    """The command line that resumes this run: the same, with
    ``--resume auto``.

    Args:
        argv (list[str], optional): The command line. Defaults to
            ``sys.argv``.

    Returns:
        str: A shell command.
    """
    argv = list(sys.argv if argv is None else argv)
    kept: List[str] = []
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == '--resume':
            following = argv[index + 1] if index + 1 < len(argv) else None
            skip = following is not None and not following.startswith('-')
            continue
        if arg.startswith('--resume='):
            continue
        kept.append(arg)
    # --resume before --cfg-options, whose values run to the end
    where = kept.index('--cfg-options') if '--cfg-options' in kept else len(
        kept)
    kept[where:where] = ['--resume', 'auto']
    return 'python ' + ' '.join(shlex.quote(arg) for arg in kept)


@HOOKS.register_module()
class StopSignalHook(Hook):
    """On SIGTERM or SIGINT, finish the iteration, save, and stop.

    Slurm and other schedulers send SIGTERM before they pre-empt a job;
    Ctrl-C sends SIGINT. Without this hook the first ends the process at
    once (and can leave an extra checkpoint beyond ``max_keep_ckpts``) and
    the second a raw ``KeyboardInterrupt`` traceback. With it, the
    iteration (or validation) under way finishes, a checkpoint of it is
    saved through the checkpoint hook (atomically, ``last_checkpoint`` and
    ``max_keep_ckpts`` kept), the log says how to resume, and
    :class:`TrainingInterrupted` ends the run; ``tools/train.py`` exits
    with 128 + the signal number (143 for SIGTERM, 130 for SIGINT).
    ``--resume auto`` then continues exactly where it stopped. A second
    signal stops at once (the files on disk stay complete: every write is
    atomic).

    In distributed runs the ranks agree on the stop (one tiny all-reduce
    per iteration), so they save and stop at the same iteration.
    """

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self) -> None:
        self._signal: Optional[int] = None
        self._previous: Dict[int, Any] = {}
        self._training = False

    # -- handlers ---------------------------------------------------------
    def _handle(self, signum: int, frame: Any) -> None:
        if self._signal is not None:  # the second one: stop now
            self._restore()
            os.kill(os.getpid(), signum)
            return
        self._signal = signum
        sys.stderr.write(
            f'\n{signal.Signals(signum).name} received: training stops '
            'after this iteration, once its checkpoint is saved (send it '
            'again to stop at once).\n')
        sys.stderr.flush()

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            try:
                signal.signal(signum, handler)
            except (ValueError, OSError):  # pragma: no cover
                pass
        self._previous = {}

    def before_train(self, runner) -> None:
        """Install the handlers (main thread only).

        Args:
            runner (Runner): The runner.
        """
        self._signal = None
        self._training = True
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._handle)

    def after_train(self, runner) -> None:
        """Put the previous handlers back.

        Args:
            runner (Runner): The runner.
        """
        self._training = False
        self._restore()

    # -- stopping ---------------------------------------------------------
    def _requested(self) -> int:
        """The signal to stop on (0: none), agreed by all ranks."""
        if get_world_size() == 1:
            return self._signal or 0
        flag = torch.tensor([float(self._signal or 0)])
        all_reduce(flag, op='max')
        return int(flag.item())

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Optional[dict] = None) -> None:
        """Stop after this iteration when a signal came.

        Args:
            runner (Runner): The runner.
            batch_idx (int): The batch index.
            data_batch (Any): The batch.
            outputs (dict, optional): The outputs of the iteration.
        """
        signum = self._requested()
        if signum:
            self._stop(runner, signum, step=runner.iter + 1)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Stop after a validation during which a signal came.

        Args:
            runner (Runner): The runner.
            metrics (dict, optional): The validation metrics.
        """
        if not self._training:
            return  # not a validation inside training
        signum = self._requested()
        if signum:
            by_epoch = getattr(self._checkpoint_hook(runner), 'by_epoch',
                               False)
            self._stop(runner, signum,
                       step=runner.epoch if by_epoch else runner.iter)

    @staticmethod
    def _checkpoint_hook(runner) -> Optional[Hook]:
        from mmengine.hooks import CheckpointHook
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook):
                return hook
        return None

    def _stop(self, runner, signum: int, step: int) -> None:
        hook = self._checkpoint_hook(runner)
        name = signal.Signals(signum).name
        unit = 'iteration'
        if hook is None:
            saved = 'No checkpoint hook is configured, so nothing was saved.'
        else:
            unit = 'epoch' if hook.by_epoch else 'iteration'
            path = hook.file_backend.join_path(
                hook.out_dir, hook.filename_tmpl.format(step))
            # the checkpoint hook (which runs first) may have saved it
            if not (hook.last_ckpt == path and os.path.isfile(path)):
                meta = dict(epoch=step, iter=runner.iter) if hook.by_epoch \
                    else dict(epoch=runner.epoch, iter=step)
                hook._save_checkpoint_with_step(runner, step, meta)
            saved = f'Saved {path}.'
        message = (f'Training stopped by {name} after {unit} {step}. '
                   f'{saved} Resume with: {resume_command()}')
        runner.logger.warning(message)
        self._training = False
        self._restore()
        raise TrainingInterrupted(message, signum)
