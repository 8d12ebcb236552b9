"""The model that unrolls a recurrent neck over time."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.utils.checkpoint
from mmengine.model import BaseModel

from stpredict.registry import MODELS, TRANSFERS
from stpredict.structures import SequenceDataSample
from .build_parts import build_parts
from .sampling_masks import SamplingMasks, draw_sampling_masks

ForwardResults = Union[Dict[str, torch.Tensor], List[SequenceDataSample],
                       torch.Tensor]


@MODELS.register_module()
class RecurrentPredictor(BaseModel):
    """Predict future frames by unrolling a recurrent neck over time.

    Every step ``t`` (``0 .. T_in + T_out - 2``) reads one frame, passes it
    through ``stem -> neck -> head`` and predicts frame ``t + 1``. Steps
    ``t < T_in`` read the observed frame; later steps read the model's own
    previous prediction or, while training with scheduled sampling, the true
    frame with probability ``sampling_eta`` (drawn per sample and step, on
    the model's device). With reverse scheduled sampling (PredRNN-V2) the
    observed steps ``1 .. T_in - 1`` also read the model's prediction with
    probability ``1 - reverse_sampling_eta``.

    Modes of :meth:`forward`:

    - ``'loss'``: needs ``T_in + T_out`` frames; the loss covers every
      next-frame prediction (frames ``1 .. T_in + T_out - 1``).
    - ``'predict'``: needs only the ``T_in`` observed frames (more are used
      as ground truth if present) and returns :class:`SequenceDataSample` s
      with ``pred_frames`` (clipped to ``[0, 1]``, un-patched,
      ``[T_out, C, H, W]``), ``input_frames`` and, when given,
      ``gt_frames``.
    - ``'tensor'``: the raw predictions of every step from the observed
      frames, ``[B, T_in + T_out - 1, C', H', W']`` (patched, not clipped).

    Args:
        neck (dict | nn.Module): Config of the recurrent neck, e.g.
            ``dict(type='SingleScaleStack', cell=dict(type='ConvLSTMCell'),
            num_layers=4, hidden_channels=64)``, or a built neck.
            ``in_channels`` is filled in (a config's different value, or a
            built neck's, is an error).
        input_frames (int): Observed frames ``T_in``. Defaults to 10.
        output_frames (int): Predicted frames ``T_out``. Defaults to 10.
        in_channels (int): Channels of a frame before patching. Defaults
            to 1.
        stem (dict | nn.Module, optional): Module from the (patched) frame
            to the neck's input, built with ``in_channels`` filled in, e.g.
            ``dict(type='Conv2d', out_channels=64, kernel_size=1)`` (MS-RNN),
            or a built module with an ``out_channels`` attribute. None feeds
            the frame to the neck directly (PredRNN, TMU). Defaults to None.
        head (dict | nn.Module): Module from the neck's output to the next
            frame, built with ``in_channels`` and ``out_channels`` filled in,
            or a built module (its ``in_channels`` / ``out_channels``, where
            it has them, are checked). Defaults to a 1x1 convolution without
            bias.
        loss (dict): Frame loss config. Defaults to
            ``dict(type='FrameLoss', error='l2', reduction='frame_sum')``.
        aux_loss_weights (dict, optional): Weight of each auxiliary loss that
            cells report (aux keys starting with ``loss_``); unlisted ones
            weigh 1. Terms that the transfer method weights itself (e.g.
            TMU's ``loss_distill``, weighted by ``MemoryTransfer.beta``) are
            not set here; a different value is an error. Defaults to None.
        transfer (dict, optional): A transfer method from ``TRANSFERS``
            (finetune, L2SP, knowledge flow, memory transfer) that brings
            source models into training. None trains from scratch. Defaults
            to None.
        checkpoint_every (int): Time-checkpointed training: with ``k > 0``
            the training unroll runs in segments of ``k`` steps whose
            activations are not kept but recomputed in the backward pass
            (``torch.utils.checkpoint``, non-reentrant, random state
            restored), keeping only the states between segments: less
            activation memory for about one more forward pass. The gradients
            are those of the plain unroll. Teachers of a transfer method run
            once, outside the recomputed segments. 0 keeps every
            activation. Defaults to 0.
        data_preprocessor (dict | nn.Module, optional): Defaults to
            ``dict(type='SequenceDataPreprocessor')``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 neck: Union[dict, nn.Module],
                 input_frames: int = 10,
                 output_frames: int = 10,
                 in_channels: int = 1,
                 stem: Optional[Union[dict, nn.Module]] = None,
                 head: Union[dict, nn.Module] = dict(
                     type='Conv2d', kernel_size=1, bias=False),
                 loss: dict = dict(
                     type='FrameLoss', error='l2', reduction='frame_sum'),
                 aux_loss_weights: Optional[Dict[str, float]] = None,
                 transfer: Optional[dict] = None,
                 checkpoint_every: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SequenceDataPreprocessor')
        if not isinstance(data_preprocessor, nn.Module):
            # built here so that stpredict's registry is used with or
            # without a default scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for name, value in (('input_frames', input_frames),
                            ('output_frames', output_frames),
                            ('in_channels', in_channels)):
            if int(value) != value or value < 1:
                raise ValueError(
                    f'RecurrentPredictor: {name} must be an integer >= 1, got '
                    f'{value!r}. Set model.{name} in the config.')
        if isinstance(checkpoint_every, bool) or int(
                checkpoint_every) != checkpoint_every or checkpoint_every < 0:
            raise ValueError(
                'RecurrentPredictor: checkpoint_every must be an integer >= '
                '0 (0: keep every activation; k: recompute the activations '
                f'of every k steps in the backward pass), got '
                f'{checkpoint_every!r}. Set model.checkpoint_every.')
        self.checkpoint_every = int(checkpoint_every)
        self.input_frames = int(input_frames)
        self.output_frames = int(output_frames)
        self.in_channels = int(in_channels)
        self.patch_size = int(getattr(self.data_preprocessor, 'patch_size',
                                      1))
        self.frame_channels = self.in_channels * self.patch_size**2

        self.stem, self.neck, self.head = build_parts(
            stem, neck, head, self.frame_channels)
        self.loss_module = MODELS.build(loss)
        self.aux_loss_weights = dict(aux_loss_weights or {})
        # built last: a transfer method sizes its own parameters from the neck
        self.transfer = None
        if transfer is not None:
            self.transfer = TRANSFERS.build(
                copy.deepcopy(transfer), default_args=dict(neck=self.neck))
            self._check_owned_loss_weights()

        # Scheduled sampling, set every iteration by ScheduledSamplingHook.
        # Without the hook: observed frames in, own predictions afterwards.
        self.sampling_eta = 0.0
        self.reverse_sampling_eta = 1.0

    def _check_owned_loss_weights(self) -> None:
        """An aux loss weighted by the transfer is not weighted here too."""
        for key in self.transfer.owned_aux_losses:
            if key not in self.aux_loss_weights:
                continue
            own = self.transfer.aux_loss_weight(key)
            if self.aux_loss_weights[key] != own:
                raise ValueError(
                    f'model.aux_loss_weights.{key}='
                    f'{self.aux_loss_weights[key]} conflicts with the weight '
                    f'{own} that {type(self.transfer).__name__} gives it '
                    f'({self.transfer.aux_loss_weight_name(key)}). The '
                    'weight is set in one place: remove '
                    f'aux_loss_weights.{key} and set '
                    f'{self.transfer.aux_loss_weight_name(key)}.')

    def init_weights(self) -> None:
        """Initialise the weights, then let the transfer method initialise
        the student from its sources (finetuning loads them here)."""
        super().init_weights()
        if self.transfer is not None:
            self.transfer.init_student(self)

    @property
    def total_frames(self) -> int:
        """``T_in + T_out``: the frames of one training window."""
        return self.input_frames + self.output_frames

    # ------------------------------------------------------------------
    # the time loop
    # ------------------------------------------------------------------
    def draw_sampling_masks(self, batch_size: int,
                            reference: torch.Tensor) -> SamplingMasks:
        """Draw scheduled-sampling masks for one training batch.

        Args:
            batch_size (int): Sequences in the batch.
            reference (torch.Tensor): Any tensor on the model's device with
                the frames' dtype.

        Returns:
            SamplingMasks: Masks drawn on ``reference``'s device with the
            model's current sampling probabilities.
        """
        return draw_sampling_masks(batch_size, self.input_frames,
                                   self.output_frames, self.sampling_eta,
                                   self.reverse_sampling_eta, reference)

    def step_input(self, step: int, frames: torch.Tensor,
                   prev_pred: Optional[torch.Tensor],
                   masks: Optional[SamplingMasks]) -> torch.Tensor:
        """The frame the model reads at ``step``.

        Args:
            step (int): Time step ``t``.
            frames (torch.Tensor): True frames ``[B, T, C', H', W']``; only
                the observed ones are needed without masks.
            prev_pred (torch.Tensor, optional): The prediction of frame
                ``t`` made at step ``t - 1``.
            masks (SamplingMasks, optional): Scheduled-sampling masks.

        Returns:
            torch.Tensor: ``[B, C', H', W']``.
        """
        if step == 0:
            return frames[:, 0]
        if step < self.input_frames:
            if masks is None or masks.input is None:
                return frames[:, step]
            mask = masks.input[:, step - 1]
        else:
            if masks is None or masks.output is None:
                return prev_pred
            mask = masks.output[:, step - self.input_frames]
        return mask * frames[:, step] + (1 - mask) * prev_pred

    def forward_step(self,
                     x: torch.Tensor,
                     state: Optional[dict],
                     layer_context: Optional[List[Optional[dict]]] = None
                     ) -> Tuple[torch.Tensor, dict, List[dict]]:
        """One step from the frame read at this step to the next frame.

        Args:
            x (torch.Tensor): The (patched) frame ``[B, C', H', W']``.
            state (dict, optional): The neck state of the previous step, or
                None at the first step.
            layer_context (list[dict | None], optional): Per-layer extra
                inputs from a transfer method (see the neck). Defaults to
                None.

        Returns:
            tuple: The predicted next frame, the new neck state and the
            cells' aux dicts.
        """
        feature = self.stem(x)
        if state is None:
            state = self.neck.init_state(feature)
        out, state, aux = self.neck(feature, state, layer_context)
        return self.head(out), state, aux

    def unroll(self,
               frames: torch.Tensor,
               num_steps: int,
               masks: Optional[SamplingMasks] = None,
               training: bool = False
               ) -> Tuple[torch.Tensor, List[List[dict]]]:
        """Run the time loop.

        Args:
            frames (torch.Tensor): Patched frames ``[B, T, C', H', W']``:
                at least ``T_in`` of them, all ``num_steps`` when ``masks``
                mix in true future frames.
            num_steps (int): Steps to run (``T_in + T_out - 1`` for a full
                window).
            masks (SamplingMasks, optional): Scheduled-sampling masks.
                Defaults to None (observed frames, then own predictions).
            training (bool): Whether this is a training pass; a transfer
                method may run its source models in lockstep then (and at
                inference only if the student still depends on them).
                Defaults to False.

        Returns:
            tuple: Predictions ``[B, num_steps, C', H', W']`` (step ``t``
            predicts frame ``t + 1``) and the cells' aux dicts per step and
            layer.
        """
        teachers = None
        if self.transfer is not None:
            if training and not self.transfer.is_set_up:
                # outside a Runner (PreflightCheckHook sets up before training)
                self.transfer.setup(self, frames)
            teachers = self.transfer.begin(self, frames, masks, training)
        recompute = (training and self.checkpoint_every > 0
                     and torch.is_grad_enabled())
        span = self.checkpoint_every if recompute else 1
        preds: List[torch.Tensor] = []
        aux_per_step: List[List[dict]] = []
        state = None
        prev_pred = None
        for first in range(0, num_steps, span):
            steps = range(first, min(first + span, num_steps))
            # teachers step once, outside any recomputed segment
            contexts = [teachers.step(step) if teachers else None
                        for step in steps]
            if recompute:
                segment = torch.utils.checkpoint.checkpoint(
                    self._unroll_steps, first, frames, prev_pred, state,
                    masks, contexts, use_reentrant=False)
            else:
                segment = self._unroll_steps(first, frames, prev_pred, state,
                                             masks, contexts)
            segment_preds, state, segment_aux = segment
            preds.extend(segment_preds)
            aux_per_step.extend(segment_aux)
            prev_pred = preds[-1]
        return torch.stack(preds, dim=1), aux_per_step

    def _unroll_steps(self, first: int, frames: torch.Tensor,
                      prev_pred: Optional[torch.Tensor],
                      state: Optional[dict],
                      masks: Optional[SamplingMasks],
                      contexts: List[Optional[list]]) -> tuple:
        """Run ``len(contexts)`` steps from ``first`` (one segment).

        Returns:
            tuple: The segment's predictions (list), the last neck state
            and the cells' aux dicts per step.
        """
        preds, aux_per_step = [], []
        for offset, layer_context in enumerate(contexts):
            x = self.step_input(first + offset, frames, prev_pred, masks)
            prev_pred, state, aux = self.forward_step(x, state, layer_context)
            preds.append(prev_pred)
            aux_per_step.append(aux)
        return preds, state, aux_per_step

    # ------------------------------------------------------------------
    # modes
    # ------------------------------------------------------------------
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[SequenceDataSample]] = None,
                mode: str = 'tensor') -> ForwardResults:
        """Dispatch to :meth:`loss`, :meth:`predict` or the raw tensor mode.

        Args:
            inputs (torch.Tensor): Patched frames ``[B, T, C', H', W']`` in
                ``[0, 1]`` (from the data preprocessor).
            data_samples (Sequence[SequenceDataSample], optional): Meta
                information of the sequences. Defaults to None.
            mode (str): ``'loss'``, ``'predict'`` or ``'tensor'``. Defaults
                to ``'tensor'``.
        """
        if inputs.dim() != 5:
            raise ValueError(
                'RecurrentPredictor expects frames [B, T, C, H, W], got shape '
                f'{tuple(inputs.shape)}.')
        if inputs.shape[2] != self.frame_channels:
            raise ValueError(
                f'The model was built for frames with {self.in_channels} '
                f'channel(s) (x patch {self.patch_size}^2 = '
                f'{self.frame_channels} after patching) but got '
                f'{inputs.shape[2]} channels after patching. Set '
                'model.in_channels to the dataset\'s channels.')
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            self._check_observed(inputs)
            preds, _ = self.unroll(inputs, self.total_frames - 1)
            return preds
        raise ValueError(f'Unknown mode {mode!r}; use "loss", "predict" or '
                         '"tensor".')

    def _check_observed(self, inputs: torch.Tensor) -> None:
        if inputs.shape[1] < self.input_frames:
            raise ValueError(
                f'The model observes T_in={self.input_frames} frames but got '
                f'sequences of {inputs.shape[1]} frames. Give at least '
                f'{self.input_frames} frames.')

    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[Sequence[SequenceDataSample]] = None
             ) -> Dict[str, torch.Tensor]:
        """Losses of one training batch.

        Returns:
            dict[str, torch.Tensor]: ``loss_frame``, the cells' weighted
            auxiliary losses and the transfer method's terms (keys without
            ``loss`` are logged, not optimised).
        """
        total = self.total_frames
        if inputs.shape[1] < total:
            raise ValueError(
                f'Training needs T_in + T_out = {self.input_frames} + '
                f'{self.output_frames} = {total} frames per sequence, got '
                f'{inputs.shape[1]}. Make the dataset windows match '
                'model.input_frames and model.output_frames.')
        frames = inputs[:, :total]
        masks = self.draw_sampling_masks(frames.shape[0], frames)
        preds, aux_per_step = self.unroll(
            frames, total - 1, masks, training=True)
        losses = dict(loss_frame=self.loss_module(preds, frames[:, 1:]))
        losses.update(self.aux_losses(aux_per_step))
        if self.transfer is not None:
            losses.update(self.transfer.losses(self, aux_per_step))
        return losses

    def aux_losses(self,
                   aux_per_step: List[List[dict]]) -> Dict[str, torch.Tensor]:
        """Sum the cells' ``loss_*`` aux terms over layers, average them over
        steps and weight them by ``aux_loss_weights``."""
        sums: Dict[str, torch.Tensor] = {}
        owned = self.transfer.owned_aux_losses if self.transfer else ()
        for step_aux in aux_per_step:
            for layer_aux in step_aux:
                for key, value in layer_aux.items():
                    if key.startswith('loss_') and key not in owned:
                        sums[key] = sums[key] + value if key in sums else value
        steps = max(len(aux_per_step), 1)
        return {
            key: self.aux_loss_weights.get(key, 1.0) * value / steps
            for key, value in sums.items()
        }

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[SequenceDataSample]] = None
                ) -> List[SequenceDataSample]:
        """Forecast ``T_out`` frames from the ``T_in`` observed frames.

        Future frames in ``inputs`` are never read by the model; when
        present they are returned as ``gt_frames`` for scoring.

        Returns:
            list[SequenceDataSample]: One sample per sequence.
        """
        self._check_observed(inputs)
        available = inputs.shape[1]
        total = self.total_frames
        if self.input_frames < available < total:
            raise ValueError(
                f'Got {available} frames per sequence: give T_in='
                f'{self.input_frames} frames to forecast, or at least '
                f'T_in + T_out = {total} to score the forecast.')
        observed = inputs[:, :self.input_frames]
        preds, _ = self.unroll(observed, total - 1)
        future = preds[:, self.input_frames - 1:].clamp(0, 1)
        unpatch = self.data_preprocessor.unpatch
        pred_frames = unpatch(future.detach())
        input_frames = unpatch(observed)
        gt_frames = unpatch(inputs[:, self.input_frames:total]) \
            if available >= total else None

        if data_samples is None:
            data_samples = [
                SequenceDataSample() for _ in range(inputs.shape[0])
            ]
        for index, sample in enumerate(data_samples):
            sample.input_frames = input_frames[index]
            sample.pred_frames = pred_frames[index]
            if gt_frames is not None:
                sample.gt_frames = gt_frames[index]
        return list(data_samples)
