"""Carry the random number generators through checkpoints."""
import random
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from stpredict.registry import HOOKS

#: Key of the generator states in a checkpoint.
RANDOM_STATE_KEY = 'random_state'


def get_random_state() -> Dict[str, Any]:
    """The states of Python's, numpy's and torch's global generators.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and, with a GPU, ``cuda``.
    """
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: Dict[str, Any]) -> None:
    """Restore generator states saved by :func:`get_random_state`.

    Args:
        state (dict): The saved states.
    """
    if 'python' in state:
        version, internal, gauss = state['python']
        random.setstate((version, tuple(internal), gauss))
    if 'numpy' in state:
        np.random.set_state(tuple(state['numpy']))
    if 'torch' in state:
        torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        states = state['cuda']
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in states])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Make a resumed run draw the same random numbers as an unbroken one.

    mmengine resumes the weights, optimiser, schedulers and iteration count,
    and replays the data order, but re-seeds the generators from scratch: the
    random draws after a resume (scheduled-sampling masks, dropout,
    augmentations in the main process) differ from those of an unbroken run.
    This hook

    - saves the generator states in every checkpoint and restores them when
      training resumes from it (right before the first resumed iteration,
      after mmengine has skipped the data already seen);
    - keeps validation from consuming the training stream of random
      numbers, so the validation interval cannot change training;
    - gives the training data loader a generator of its own for its worker
      base seeds, so restarting the loader at an epoch boundary does not
      consume the training stream either.

    Together with a fixed ``randomness.seed`` a run killed and resumed with
    ``--resume auto`` ends with the same weights as an unbroken run.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._pending: Optional[Dict[str, Any]] = None
        self._pending_iter: Optional[int] = None
        self._outside_val: Optional[Dict[str, Any]] = None

    def before_train(self, runner) -> None:
        """Give the training loader a private generator.

        Args:
            runner (Runner): The runner.
        """
        loader = getattr(runner.train_loop, 'dataloader', None)
        if loader is not None and getattr(loader, 'generator', 1) is None:
            seed = runner.seed if runner.seed is not None else 0
            loader.generator = torch.Generator().manual_seed(int(seed))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the generator states in the checkpoint.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The checkpoint being saved.
        """
        checkpoint[RANDOM_STATE_KEY] = get_random_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Keep the saved states until training continues from them.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The loaded checkpoint.
        """
        state = checkpoint.get(RANDOM_STATE_KEY)
        if state is None:
            return
        self._pending = state
        self._pending_iter = checkpoint.get('meta', {}).get('iter')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Any = None) -> None:
        """Restore the saved states before the first resumed iteration.

        Only a resume (the run continues at the checkpoint's iteration)
        restores them; ``load_from`` of a trained model starts afresh.

        Args:
            runner (Runner): The runner.
            batch_idx (int): The batch index.
            data_batch (Any): The batch.
        """
        if self._pending is None:
            return
        if runner.iter == self._pending_iter and runner.iter > 0:
            set_random_state(self._pending)
        self._pending = None

    def before_val_epoch(self, runner) -> None:
        """Remember the training generators' states.

        Args:
            runner (Runner): The runner.
        """
        self._outside_val = get_random_state()

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Put the training generators back as they were before validation.

        Args:
            runner (Runner): The runner.
            metrics (dict, optional): The validation metrics.
        """
        if self._outside_val is not None:
            set_random_state(self._outside_val)
            self._outside_val = None
