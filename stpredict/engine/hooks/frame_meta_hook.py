"""Store the size and channels of the training frames in every checkpoint."""
from typing import Any, Optional

import torch
from mmengine.hooks import Hook

from stpredict.registry import HOOKS

#: The key of the frame description in a checkpoint's ``meta``.
FRAME_META_KEY = 'frames'


def frames_meta_of_batch(data_batch: Any) -> Optional[dict]:
    """``{'height', 'width', 'channels'}`` of a batch's input frames.

    Args:
        data_batch (Any): A batch from the data loader: a dict whose
            ``inputs`` is a list of ``[T, C, H, W]`` tensors or one
            ``[B, T, C, H, W]`` tensor, before the data preprocessor (so not
            patched).

    Returns:
        dict | None: The frame description, or None for a batch without
        frame tensors.
    """
    inputs = data_batch.get('inputs') if isinstance(data_batch,
                                                    dict) else None
    if isinstance(inputs, (list, tuple)) and inputs:
        inputs = inputs[0]
    if not isinstance(inputs, torch.Tensor) or inputs.dim() < 3:
        return None
    channels, height, width = (int(size) for size in inputs.shape[-3:])
    return dict(height=height, width=width, channels=channels)


@HOOKS.register_module()
class FrameMetaHook(Hook):
    """Record the training frames' size and channels in checkpoint meta.

    The first training batch gives ``height``, ``width`` and ``channels``
    of the frames the model sees (before patching); every checkpoint saved
    afterwards carries them as ``meta['frames']``, which
    :func:`stpredict.apis.init_forecaster` reads back so that a forecast
    checks its frames against the size the model was trained on without
    reading the dataset config.
    """

    priority = 'NORMAL'  # before the checkpoint hook (VERY_LOW)

    def __init__(self) -> None:
        self.frames: Optional[dict] = None

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Any = None,
                         outputs: Any = None) -> None:
        """Read the frame description from the first batch."""
        if self.frames is None:
            self.frames = frames_meta_of_batch(data_batch)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Add ``meta['frames']`` to the checkpoint being saved."""
        if self.frames is not None:
            checkpoint.setdefault('meta', {})[FRAME_META_KEY] = dict(
                self.frames)
