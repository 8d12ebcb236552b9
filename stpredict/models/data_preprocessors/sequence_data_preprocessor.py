"""Turn a batch of frame sequences into the model's input tensor."""
from typing import Any, Dict, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor

from stpredict.registry import MODELS
from ..utils.patching import frames_to_patches, patches_to_frames


@MODELS.register_module()
class SequenceDataPreprocessor(BaseDataPreprocessor):
    """Stack, scale to ``[0, 1]`` and patch a batch of sequences.

    Input: ``data['inputs']``, a list of ``[T, C, H, W]`` tensors (uint8
    frames, or floats already in ``[0, 1]``), or a ``[B, T, C, H, W]``
    tensor. Output: ``{'inputs': float [B, T, p*p*C, H/p, W/p] on the
    model's device, 'data_samples': ...}``.

    Args:
        patch_size (int): Side of the space-to-depth blocks; 1 keeps the
            frames as they are. Defaults to 1.
        value_scale (float): Integer frames are divided by it. Defaults to
            255.
        non_blocking (bool): Whether to copy to the device asynchronously.
            Defaults to False.
    """

    def __init__(self,
                 patch_size: int = 1,
                 value_scale: float = 255.0,
                 non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if int(patch_size) != patch_size or patch_size < 1:
            raise ValueError(
                f'patch_size must be a positive integer, got {patch_size!r}.')
        self.patch_size = int(patch_size)
        self.value_scale = float(value_scale)

    def stack_frames(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
                     ) -> torch.Tensor:
        """Stack sequences into ``[B, T, C, H, W]``, checking their shapes."""
        if isinstance(inputs, torch.Tensor):
            if inputs.dim() != 5:
                raise ValueError(
                    'Expected a batch of frame sequences [B, T, C, H, W], got '
                    f'a tensor of shape {tuple(inputs.shape)}.')
            return inputs
        shapes = {tuple(seq.shape) for seq in inputs}
        for seq in inputs:
            if seq.dim() != 4:
                raise ValueError(
                    'Every sequence must be a [T, C, H, W] tensor, got shape '
                    f'{tuple(seq.shape)}. Check the dataset pipeline ends '
                    'with PackSequenceInputs.')
        if len(shapes) > 1:
            raise ValueError(
                'Sequences in one batch must have the same shape [T, C, H, '
                f'W], got {sorted(shapes)}. Resize the frames and use the '
                'same window length in the dataset.')
        return torch.stack(list(inputs))

    def to_unit_range(self, frames: torch.Tensor) -> torch.Tensor:
        """Integer frames to float in ``[0, 1]``; float frames unchanged."""
        if frames.is_floating_point():
            return frames
        return frames.float() / self.value_scale

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Preprocess one batch.

        Args:
            data (dict): ``{'inputs': ..., 'data_samples': ...}`` from the
                data loader.
            training (bool): Unused; kept for mmengine's interface.

        Returns:
            dict: ``inputs`` (float, patched) and ``data_samples``.
        """
        data = self.cast_data(data)
        frames = self.stack_frames(data['inputs'])
        frames = self.to_unit_range(frames)
        frames = frames_to_patches(frames, self.patch_size)
        return dict(inputs=frames, data_samples=data.get('data_samples'))

    def unpatch(self, frames: torch.Tensor) -> torch.Tensor:
        """Undo the patching of :meth:`forward` (``[..., C, H, W]``)."""
        return patches_to_frames(frames, self.patch_size)

    def patch(self, frames: torch.Tensor) -> torch.Tensor:
        """Patch frames ``[..., C, H, W]`` as :meth:`forward` does."""
        return frames_to_patches(frames, self.patch_size)


__all__ = ['SequenceDataPreprocessor']
