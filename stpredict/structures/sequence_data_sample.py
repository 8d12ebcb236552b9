"""The data element that travels with one frame sequence."""
from typing import Optional

import torch
from mmengine.structures import BaseDataElement


class SequenceDataSample(BaseDataElement):
    """Annotations and predictions of one spatiotemporal sequence.

    All frame tensors are ``[T, C, H, W]``, float in ``[0, 1]`` and
    *un-patched* (the frame layout of the dataset), whatever patch size the
    model uses internally.

    Data fields:
        - ``input_frames``: the ``T_in`` observed frames the prediction starts
          from.
        - ``gt_frames``: the ``T_out`` true future frames (absent when
          forecasting from observed frames alone).
        - ``pred_frames``: the ``T_out`` predicted frames.

    Meta information (set by the dataset pipeline), e.g. ``sample_idx``,
    ``input_frames_num`` and ``output_frames_num``.
    """

    @property
    def input_frames(self) -> torch.Tensor:
        return self._input_frames

    @input_frames.setter
    def input_frames(self, value: torch.Tensor) -> None:
        self.set_field(value, '_input_frames', dtype=torch.Tensor)

    @input_frames.deleter
    def input_frames(self) -> None:
        del self._input_frames

    @property
    def gt_frames(self) -> torch.Tensor:
        return self._gt_frames

    @gt_frames.setter
    def gt_frames(self, value: torch.Tensor) -> None:
        self.set_field(value, '_gt_frames', dtype=torch.Tensor)

    @gt_frames.deleter
    def gt_frames(self) -> None:
        del self._gt_frames

    @property
    def pred_frames(self) -> torch.Tensor:
        return self._pred_frames

    @pred_frames.setter
    def pred_frames(self, value: torch.Tensor) -> None:
        self.set_field(value, '_pred_frames', dtype=torch.Tensor)

    @pred_frames.deleter
    def pred_frames(self) -> None:
        del self._pred_frames

    def get_gt_frames(self) -> Optional[torch.Tensor]:
        """The true future frames, or None when the sample has none."""
        return self._gt_frames if 'gt_frames' in self else None
