"""Faults for crash tests, loaded into tools/train.py with custom_imports.

Environment variables pick the fault:

- ``STPREDICT_TEST_ITER_SLEEP``: seconds to sleep after each training
  iteration, so that a test can kill the process at a chosen point;
- ``STPREDICT_TEST_KILL_DURING_SAVE``: the iteration whose checkpoint save
  is cut off: half of the file is written, then the process kills itself
  with SIGKILL, as a power cut or an out-of-memory kill would;
- ``STPREDICT_TEST_KILL_DURING_BEST_SAVE``: the same for the best
  checkpoint of that iteration (``best_*_iter_N.pth``);
- ``STPREDICT_TEST_KILL_AT``: ``PHASE:NAME`` kills the process with
  SIGKILL at a phase of writing the file ``NAME`` (a checkpoint, its
  checksum, ``last_checkpoint``, ``best_checkpoints.json``): ``write``
  (half of the temporary file written), ``checksum`` (its checksum file
  written, the file not yet) or ``replace`` (the file renamed into place,
  nothing after it done). ``NAME`` may be a pattern (``best_*``). The kill
  probe (``kill_probe.py``) uses it;
- ``STPREDICT_TEST_NAN_AT_ITER``: the (1-based) iteration whose loss is NaN;
- ``STPREDICT_TEST_FREE_BYTES``: the free disk space that writes see.
"""
import fnmatch
import os
import signal
import time

from mmengine.runner.loops import IterBasedTrainLoop

from stpredict.utils import atomic_io

_sleep = float(os.environ.get('STPREDICT_TEST_ITER_SLEEP', 0))
if _sleep:
    _original_run_iter = IterBasedTrainLoop.run_iter

    def _run_iter_slowly(self, data_batch):
        _original_run_iter(self, data_batch)
        time.sleep(_sleep)

    IterBasedTrainLoop.run_iter = _run_iter_slowly

_kill_at = os.environ.get('STPREDICT_TEST_KILL_DURING_SAVE')
_kill_best_at = os.environ.get('STPREDICT_TEST_KILL_DURING_BEST_SAVE')
if _kill_at or _kill_best_at:
    _original_put = atomic_io.AtomicLocalBackend.put

    def _is_target(filepath):
        name = os.path.basename(str(filepath))
        if _kill_best_at:
            return name.startswith('best_') and name.endswith(
                f'_iter_{_kill_best_at}.pth')
        return name == f'iter_{_kill_at}.pth'

    def _put_then_die(self, obj, filepath):
        if _is_target(filepath):
            with open(atomic_io.temporary_path(filepath), 'wb') as file:
                file.write(obj[:len(obj) // 2])
                file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        _original_put(self, obj, filepath)

    atomic_io.AtomicLocalBackend.put = _put_then_die

_kill_phase = os.environ.get('STPREDICT_TEST_KILL_AT')
if _kill_phase:
    _phase, _name = _kill_phase.split(':', 1)
    _original_atomic_write = atomic_io.atomic_write

    def _atomic_write_then_die(data, path, *args, **kwargs):
        name = os.path.basename(str(path))
        if _phase == 'write' and fnmatch.fnmatchcase(name, _name):
            with open(atomic_io.temporary_path(path), 'wb') as file:
                file.write(data[:len(data) // 2] if isinstance(data, bytes)
                           else data[:len(data) // 2].encode())
                file.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        _original_atomic_write(data, path, *args, **kwargs)
        if (_phase == 'checksum' and fnmatch.fnmatchcase(
                name, _name + '.sha256')) or (
                    _phase == 'replace' and fnmatch.fnmatchcase(name, _name)):
            os.kill(os.getpid(), signal.SIGKILL)

    atomic_io.atomic_write = _atomic_write_then_die
    from stpredict.engine.hooks import safe_checkpoint_hook
    safe_checkpoint_hook.atomic_write = _atomic_write_then_die

_nan_at = os.environ.get('STPREDICT_TEST_NAN_AT_ITER')
if _nan_at:
    from mmengine.logging import MessageHub

    from stpredict.models.predictors import RecurrentPredictor

    _original_loss = RecurrentPredictor.loss

    def _loss_nan_at(self, inputs, data_samples):
        losses = _original_loss(self, inputs, data_samples)
        # the runtime-info hook stores the 0-based iteration
        if MessageHub.get_current_instance().get_info('iter') + 1 == int(
                _nan_at):
            losses = {key: value * float('nan')
                      for key, value in losses.items()}
        return losses

    RecurrentPredictor.loss = _loss_nan_at

_free = os.environ.get('STPREDICT_TEST_FREE_BYTES')
if _free:
    atomic_io.free_bytes = lambda directory: int(_free)
