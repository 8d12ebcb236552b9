"""Check that the model can run on the dataset's frames before training."""
from typing import Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from stpredict.registry import HOOKS


class PreflightError(ValueError):
    """The model and the data of a config cannot work together."""


def preflight_model(model: torch.nn.Module, frame_shape: Sequence[int],
                    data_name: str = 'the dataset') -> None:
    """Run one forecasting step on zero frames of the dataset's shape.

    It catches, in a second and before any training, what would otherwise
    fail at the first iteration or later: too short windows, channel counts
    that differ, frame sizes that the patch size or the pyramid's
    down-sampling do not divide, and a memory transfer whose source and
    target memories differ in shape.

    Args:
        model (torch.nn.Module): A :class:`RecurrentPredictor`.
        frame_shape (Sequence[int]): One sequence's ``[T, C, H, W]``.
        data_name (str): How to name the data in messages.

    Raises:
        PreflightError: Naming the cause and the fix.
    """
    if is_model_wrapper(model):
        model = model.module
    num_frames, channels, height, width = (int(v) for v in frame_shape)
    needed = model.input_frames + model.output_frames
    if num_frames < needed:
        raise PreflightError(
            f'{data_name} gives sequences of {num_frames} frames but the '
            f'model needs T_in + T_out = {model.input_frames} + '
            f'{model.output_frames} = {needed}. Set the dataset\'s '
            'input_frames/output_frames to the model\'s.')
    if channels != model.in_channels:
        raise PreflightError(
            f'{data_name} gives frames with {channels} channel(s) but '
            f'model.in_channels={model.in_channels}. Set model.in_channels='
            f'{channels} (or convert the frames in the dataset pipeline).')
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else 'cpu'
    frames = torch.zeros(1, needed, channels, height, width, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            patched = model.data_preprocessor.patch(frames)
            if model.transfer is not None:
                # load the teachers (logging each checkpoint and its sha256)
                # and check the shapes they exchange with the student
                model.transfer.setup(model, patched)
            model.unroll(patched, num_steps=1)
    except (ValueError, RuntimeError) as error:
        raise PreflightError(
            f'Before training: the model cannot run on the frames of '
            f'{data_name} ([T, C, H, W] = {list(frame_shape)}): '
            f'{error}') from error
    finally:
        model.train(was_training)


@HOOKS.register_module()
class PreflightCheckHook(Hook):
    """Run :func:`preflight_model` on the first training sequence.

    Training then stops before the first iteration, with a message that
    names the cause and the fix, rather than minutes or hours later.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Check the model against the training data.

        Args:
            runner (Runner): The runner.
        """
        dataset = runner.train_dataloader.dataset
        sample = dataset[0]
        inputs = sample['inputs'] if isinstance(sample, dict) else None
        if not isinstance(inputs, torch.Tensor) or inputs.dim() != 4:
            return  # not a frame-sequence dataset; nothing to check
        preflight_model(runner.model, tuple(inputs.shape),
                        f'train_dataloader.dataset ({type(dataset).__name__})')
