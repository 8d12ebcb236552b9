"""Scheduled sampling driven by the runner's iteration."""
import math
from typing import Optional, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from stpredict.registry import HOOKS

SCHEDULES = ('linear', 'reverse', 'none')


def linear_sampling_eta(iteration: int, start_eta: float,
                        end_iter: int) -> float:
    """Probability of reading the true frame, falling linearly to 0.

    Args:
        iteration (int): Completed training iterations.
        start_eta (float): The value at iteration 0.
        end_iter (int): The iteration from which it is 0.

    Returns:
        float: ``start_eta * (1 - iteration / end_iter)``, at least 0.
    """
    if iteration >= end_iter:
        return 0.0
    return max(0.0, start_eta * (1.0 - iteration / end_iter))


def reverse_sampling_etas(iteration: int, start_iter: int, end_iter: int,
                          exp_alpha: float) -> Tuple[float, float]:
    """PredRNN-V2's reverse scheduled sampling.

    Before ``start_iter`` both probabilities are 0.5. Between ``start_iter``
    and ``end_iter`` the probability of reading the true *observed* frame
    rises as ``1 - 0.5 * exp(-(it - start_iter) / exp_alpha)`` and that of
    reading the true *future* frame falls linearly from 0.5 to 0; afterwards
    they are 1 and 0.

    Args:
        iteration (int): Completed training iterations.
        start_iter (int): Iteration where both start to move.
        end_iter (int): Iteration where both reach their final value.
        exp_alpha (float): Time constant of the exponential rise.

    Returns:
        tuple[float, float]: ``(eta, reverse_eta)``: future and observed
        steps' probabilities of reading the true frame.
    """
    if iteration < start_iter:
        return 0.5, 0.5
    if iteration < end_iter:
        progress = (iteration - start_iter) / (end_iter - start_iter)
        reverse_eta = 1.0 - 0.5 * math.exp(-(iteration - start_iter) /
                                           exp_alpha)
        return 0.5 * (1.0 - progress), reverse_eta
    return 0.0, 1.0


@HOOKS.register_module()
class ScheduledSamplingHook(Hook):
    """Set the predictor's scheduled-sampling probabilities every iteration.

    The values are a function of ``runner.iter`` alone, so a resumed run
    continues the schedule exactly where it stopped. The value in force is
    logged as ``sampling_eta`` (and ``reverse_sampling_eta`` for the reverse
    schedule).

    Defaults follow PredRNN / OpenSTL: eta falls from 1 by 2e-5 per
    iteration and is 0 after 50k iterations; the reverse schedule moves
    between 25k and 50k iterations with a time constant of 5k.

    Args:
        schedule (str): ``'linear'``, ``'reverse'`` (PredRNN-V2) or
            ``'none'`` (always read own predictions). Defaults to
            ``'linear'``.
        start_eta (float): Linear schedule: eta at iteration 0. Defaults
            to 1.0.
        end_iter (int, optional): Linear: iteration where eta reaches 0;
            reverse: iteration where the schedule ends. None means the
            run's ``max_iters`` (eta falls to 0 over the whole run, as in
            MS-RNN). Defaults to 50000.
        start_iter (int, optional): Reverse: iteration where the schedule
            starts moving. None means half of ``end_iter``. Defaults to
            25000.
        exp_alpha (float): Reverse: time constant of the rise of the
            observed steps' probability. Defaults to 5000.
    """

    priority = 'NORMAL'

    def __init__(self,
                 schedule: str = 'linear',
                 start_eta: float = 1.0,
                 end_iter: Optional[int] = 50000,
                 start_iter: Optional[int] = 25000,
                 exp_alpha: float = 5000.0) -> None:
        if schedule not in SCHEDULES:
            raise ValueError(f'ScheduledSamplingHook schedule must be one of '
                             f'{SCHEDULES}, got {schedule!r}.')
        if not 0.0 <= start_eta <= 1.0:
            raise ValueError(
                f'start_eta is a probability in [0, 1], got {start_eta}.')
        if end_iter is not None and end_iter < 1:
            raise ValueError(f'end_iter must be >= 1 or None, got {end_iter}.')
        if (schedule == 'reverse' and end_iter is not None
                and start_iter is not None and start_iter >= end_iter):
            raise ValueError(
                f'The reverse schedule needs start_iter < end_iter, got '
                f'{start_iter} >= {end_iter}.')
        if exp_alpha <= 0:
            raise ValueError(f'exp_alpha must be > 0, got {exp_alpha}.')
        self.schedule = schedule
        self.start_eta = start_eta
        self.end_iter = end_iter
        self.start_iter = start_iter
        self.exp_alpha = exp_alpha

    def etas_at(self, iteration: int,
                max_iters: Optional[int] = None) -> Tuple[float, float]:
        """``(sampling_eta, reverse_sampling_eta)`` at ``iteration``.

        Args:
            iteration (int): Completed training iterations.
            max_iters (int, optional): The run's length, used where
                ``end_iter`` is None.

        Returns:
            tuple[float, float]: The two probabilities of reading the true
            frame (future steps, observed steps).
        """
        end_iter = self.end_iter
        if end_iter is None:
            if not max_iters:
                raise ValueError('end_iter=None needs the run length '
                                 '(max_iters).')
            end_iter = max_iters
        if self.schedule == 'none':
            return 0.0, 1.0
        if self.schedule == 'linear':
            return linear_sampling_eta(iteration, self.start_eta,
                                       end_iter), 1.0
        start_iter = self.start_iter if self.start_iter is not None \
            else end_iter // 2
        return reverse_sampling_etas(iteration, start_iter, end_iter,
                                     self.exp_alpha)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Put the scheduled values on the model and log them."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'sampling_eta'):
            raise TypeError(
                f'ScheduledSamplingHook needs a model with scheduled '
                f'sampling (e.g. RecurrentPredictor), got '
                f'{type(model).__name__}. Remove the hook from '
                'custom_hooks.')
        eta, reverse_eta = self.etas_at(runner.iter, runner.max_iters)
        model.sampling_eta = eta
        model.reverse_sampling_eta = reverse_eta
        runner.message_hub.update_scalar('train/sampling_eta', eta)
        if self.schedule == 'reverse':
            runner.message_hub.update_scalar('train/reverse_sampling_eta',
                                             reverse_eta)
