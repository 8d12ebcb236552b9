"""Eidetic 3D LSTM (Wang et al., ICLR 2019)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import build_cell_norm

RECALL_SCOPES = ('global', 'pixel')


def recall_attention(query: torch.Tensor,
                     history: torch.Tensor,
                     valid: Optional[torch.Tensor] = None,
                     scope: str = 'global') -> torch.Tensor:
    r"""E3D-LSTM's recall: attention of ``R_t`` over past memory states.

    ``RECALL(R, C_{t-tau:t-1}) = softmax(R . C^T) . C``: every position of
    the query (a channel vector at one ``(t', y, x)``) is compared by dot
    product, without scaling, with the channel vectors of the history and
    returns their softmax-weighted sum. ``scope='global'`` (the paper and
    the authors' code) compares with every position of every past state;
    ``scope='pixel'`` only with the same ``(y, x)`` in every past state and
    window slot (cheaper at large frames).

    Args:
        query (torch.Tensor): ``R_t`` ``[B, C, T', H, W]``.
        history (torch.Tensor): Past memory states ``[B, tau, C, T', H, W]``.
        valid (torch.Tensor, optional): ``[B, tau]``, nonzero for the slots
            that hold a state (at least one per sample). None: all slots.
            Defaults to None.
        scope (str): ``'global'`` or ``'pixel'``. Defaults to ``'global'``.

    Returns:
        torch.Tensor: ``[B, C, T', H, W]``.
    """
    batch, channels, depth, height, width = query.shape
    slots = history.shape[1]
    mask = None
    if scope == 'global':
        # [B, T'HW, C] against [B, tau T'HW, C]
        q = query.flatten(2).transpose(1, 2)
        kv = history.permute(0, 1, 3, 4, 5, 2)  # [B, tau, T', H, W, C]
        kv = kv.reshape(batch, -1, channels)
        if valid is not None:
            mask = (valid != 0).repeat_interleave(
                depth * height * width, dim=1).view(batch, 1, -1)
        out = F.scaled_dot_product_attention(
            q, kv, kv, attn_mask=mask, scale=1.0)
        return out.transpose(1, 2).reshape(query.shape)
    if scope == 'pixel':
        # per pixel: [B HW, T', C] against [B HW, tau T', C]
        pixels = batch * height * width
        q = query.permute(0, 3, 4, 2, 1)  # [B, H, W, T', C]
        q = q.reshape(pixels, depth, channels)
        kv = history.permute(0, 4, 5, 1, 3, 2)  # [B, H, W, tau, T', C]
        kv = kv.reshape(pixels, slots * depth, channels)
        if valid is not None:
            mask = (valid != 0).repeat_interleave(depth, dim=1)
            mask = mask.repeat_interleave(height * width, dim=0).unsqueeze(1)
        out = F.scaled_dot_product_attention(
            q, kv, kv, attn_mask=mask, scale=1.0)
        return out.view(batch, height, width, depth,
                        channels).permute(0, 4, 3, 1, 2)
    raise ValueError(f'Unknown recall scope {scope!r}; choose one of '
                     f'{RECALL_SCOPES}.')


@CELLS.register_module()
class E3DLSTMCell(BaseCell):
    r"""Eidetic 3D LSTM: 3D convolutions and a recall gate over past memories.

    Wang, Jiang, Yang, Li, Long and Fei-Fei, "Eidetic 3D LSTM: A Model for
    Video Prediction and Beyond", ICLR 2019 (Sec. 3.2, Eq. 3).

    Every tensor is a short clip ``[C, T', H, W]`` (``T' = window_length``)
    and every convolution is 3D (``temporal_kernel_size x k x k``, 'same'
    padding). ``C`` is recalled from the last ``tau`` memory states by
    attention, and the zigzag memory ``M`` flows up the layers and from the
    top layer to layer 0 at the next step as in PredRNN:

    .. math::
        R_t &= \sigma(W_{xr} * X_t + W_{hr} * H^k_{t-1} + b_r) \\
        I_t &= \sigma(W_{xi} * X_t + W_{hi} * H^k_{t-1} + b_i) \\
        G_t &= \tanh(W_{xg} * X_t + W_{hg} * H^k_{t-1} + b_g) \\
        \mathrm{RECALL}(R_t, C^k_{t-\tau:t-1}) &=
            \mathrm{softmax}(R_t \cdot (C^k_{t-\tau:t-1})^\top)
            \cdot C^k_{t-\tau:t-1} \\
        C^k_t &= I_t \odot G_t + \mathrm{LayerNorm}(C^k_{t-1} +
                 \mathrm{RECALL}(R_t, C^k_{t-\tau:t-1})) \\
        I'_t &= \sigma(W'_{xi} * X_t + W_{mi} * M^{k-1}_t + b'_i) \\
        G'_t &= \tanh(W'_{xg} * X_t + W_{mg} * M^{k-1}_t + b'_g) \\
        F'_t &= \sigma(W'_{xf} * X_t + W_{mf} * M^{k-1}_t + b'_f) \\
        M^k_t &= I'_t \odot G'_t + F'_t \odot M^{k-1}_t \\
        O_t &= \sigma(W_{xo} * X_t + W_{ho} * H^k_{t-1} + W_{co} * C^k_t
               + W_{mo} * M^k_t + b_o) \\
        H^k_t &= O_t \odot \tanh(W_{1\times1\times1} * [C^k_t, M^k_t])

    Fused convolutions (same math, fewer kernels): ``temporal_conv`` on
    ``[X_t, H^k_{t-1}]`` gives ``R, I, G`` and the ``X, H`` part of ``O``;
    ``spatial_conv`` on ``[X_t, M^{k-1}_t]`` gives ``I', G', F'``;
    ``output_conv`` on ``[C^k_t, M^k_t]`` gives ``W_co * C + W_mo * M``;
    ``fusion_conv`` is the ``1x1x1`` convolution. The recall ``LayerNorm``
    normalises each sample over ``(C, T', H, W)`` with a per-channel affine
    (as ``tf.contrib.layers.layer_norm`` in the authors' code).

    How it fits the 2D cell contract (every tensor ``[B, C*T', H, W]`` with
    the window folded into the channels, channel-major):

    - Layer 0 reads one frame (feature) per step, ``in_channels`` channels,
      and keeps the last ``T'`` of them in the state ``x_window`` (zeros
      before the first frame), like the authors' sliding window of frames.
    - Its output ``h`` is the whole clip ``H^k_t``, so ``out_channels`` is
      ``window_length * hidden_channels``: the layer above reads it as its
      clip ``X_t`` (an input with ``window_length * in_channels`` channels
      is taken as a clip, with ``in_channels`` as one frame), and the
      predictor's 1x1 head on it is the authors' ``[T', 1, 1]``
      temporal-stride-``T'`` output convolution.
    - The eidetic history ``c_history`` holds the last ``tau`` memory
      states ``C^k_{t-tau}, ..., C^k_{t-1}`` (oldest first) and
      ``history_valid`` ``[B, tau, 1, 1]`` marks the filled slots; every
      step pushes ``C^k_{t-1}`` before recalling, so the history always
      grows (at step 0 it holds the initial zero state, as in the authors'
      code). With ``tau >= T_in + T_out - 1`` the recall sees every past
      state, as the authors' code does.
    - The zigzag memory ``M`` is ``[B, C*T', H, W]`` (``memory_channels``).

    Differences from the authors' released code: their cell returns the
    *incoming* global memory instead of ``M^k_t`` (so ``M`` is never
    updated; OpenSTL inherited this), which is fixed here; their ``M``
    update is ``F' * tanh(W_mm * M) + I' * G'`` and their output gate is
    ``sigmoid(tanh(...))``; here both follow the paper. Their constant
    forget bias of 1 on ``F'`` is the default ``forget_bias``, and their
    ``layer_norm`` on the gate convolutions is ``norm='group'`` here (a
    per-sample normalisation over ``(C, T', H, W)`` with per-channel
    affine, applied here to each fused convolution's output, i.e. to the
    summed ``X`` and ``H`` (or ``M``) terms); ``norm='layer'`` has a
    per-element affine like PredRNN.
    The encoder and decoder 3D CNNs of the paper are not part of the cell;
    the predictor's stem and head take their place.

    Args:
        in_channels (int): Channels of one input frame ``X`` (per window
            slot).
        hidden_channels (int): Channels of ``H``, ``C`` and ``M`` per window
            slot.
        kernel_size (int | tuple[int, int]): Spatial kernel of the 3D gate
            convolutions. Defaults to 5 (the authors' code).
        window_length (int): ``T'``, the window slots of every tensor.
            Defaults to 2 (the authors' code).
        temporal_kernel_size (int): Temporal kernel of the 3D convolutions;
            'same' padding puts the extra zero after the window for even
            sizes (TensorFlow's convention). Defaults to 2.
        tau (int): Past memory states the recall attends to. Defaults to 5;
            the configs use ``T_in + T_out - 1`` (every past state, as the
            authors' code).
        recall_scope (str): ``'global'`` (every position of every past
            state, the paper) or ``'pixel'`` (the same pixel only; memory
            and time linear in the frame size). Defaults to ``'global'``.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        forget_bias (float): Constant added to ``F'`` before the sigmoid.
            Defaults to 1.0 (the authors' code).
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale; needed only by ``norm='layer'``. Defaults to None.
        norm (str, optional): Normalisation of the gate convolutions'
            outputs: None, ``'group'`` or ``'layer'``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', 'c', 'x_window', 'c_history', 'history_valid')
    uses_memory = True

    # its entry in the cell zoo (see zoo.py)
    zoo = dict(
        key='e3d_lstm', name='E3D-LSTM', year=2019,
        paper='Wang et al., ICLR 2019')

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 window_length: int = 2,
                 temporal_kernel_size: int = 2,
                 tau: int = 5,
                 recall_scope: str = 'global',
                 bias: bool = True,
                 forget_bias: float = 1.0,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        sizes = dict(
            window_length=window_length,
            temporal_kernel_size=temporal_kernel_size,
            tau=tau)
        for name, value in sizes.items():
            if int(value) != value or value < 1:
                raise ValueError(f'E3DLSTMCell needs an integer {name} >= 1, '
                                 f'got {value!r}.')
        if recall_scope not in RECALL_SCOPES:
            raise ValueError(f'Unknown recall_scope {recall_scope!r}; choose '
                             f'one of {RECALL_SCOPES}.')
        self.window_length = int(window_length)
        self.temporal_kernel_size = int(temporal_kernel_size)
        self.tau = int(tau)
        self.recall_scope = recall_scope
        self.forget_bias = forget_bias
        hidden = hidden_channels
        kernel = (self.temporal_kernel_size, *self.kernel_size)
        padding = (0, *self.padding)  # time is padded by _conv3d

        def conv(cin: int, cout: int, size: Tuple[int, ...],
                 pad: Tuple[int, ...]) -> nn.Conv3d:
            return nn.Conv3d(cin, cout, size, padding=pad, bias=bias)

        self.temporal_conv = conv(in_channels + hidden, 4 * hidden, kernel,
                                  padding)
        self.spatial_conv = conv(in_channels + hidden, 3 * hidden, kernel,
                                 padding)
        self.output_conv = conv(2 * hidden, hidden, kernel, padding)
        self.fusion_conv = conv(2 * hidden, hidden, (1, 1, 1), (0, 0, 0))
        self.recall_norm = nn.GroupNorm(1, hidden)
        self.norm_type = norm
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.temporal_norm = self._build_norm(norm, 4 * hidden, spatial_size)
        self.spatial_norm = self._build_norm(norm, 3 * hidden, spatial_size)

    def _build_norm(
            self, norm: Optional[str], channels: int,
            spatial_size: Optional[Sequence[int]]) -> Optional[nn.Module]:
        # 'group' acts on [B, C, T', H, W] (per-channel affine); 'layer' on
        # the folded [B, C*T', H, W] (per-element affine)
        if norm == 'group':
            return build_cell_norm(norm, channels)
        return build_cell_norm(norm, channels * self.window_length,
                               spatial_size)

    def _normed(self, norm: Optional[nn.Module],
                x: torch.Tensor) -> torch.Tensor:
        if norm is None:
            return x
        if isinstance(norm, nn.GroupNorm):
            return norm(x)
        return self.unfold(norm(self.fold(x)), x.shape[1])

    # ------------------------------------------------------------------
    # folding the window into the channels
    # ------------------------------------------------------------------
    @staticmethod
    def fold(x: torch.Tensor) -> torch.Tensor:
        """``[B, C, T', H, W] -> [B, C*T', H, W]`` (channel-major)."""
        batch, channels, depth, height, width = x.shape
        return x.reshape(batch, channels * depth, height, width)

    def unfold(self, x: torch.Tensor, channels: int) -> torch.Tensor:
        """``[B, C*T', H, W] -> [B, C, T', H, W]``."""
        batch, _, height, width = x.shape
        return x.reshape(batch, channels, self.window_length, height, width)

    def state_channels(self, name: str) -> int:
        """Channels of each state (see the class docstring)."""
        clip = self.window_length
        if name == 'x_window':
            return self.in_channels * clip
        if name == 'c_history':
            return self.tau * self.hidden_channels * clip
        if name == 'history_valid':
            return self.tau
        return self.hidden_channels * clip

    @property
    def memory_channels(self) -> int:
        """Channels of the zigzag memory ``M`` (a folded clip)."""
        return self.hidden_channels * self.window_length

    def init_states(self, x: torch.Tensor) -> States:
        """Zero states for an input frame or clip ``x`` ``[B, C, H, W]``."""
        self._check_input(x)
        batch, _, height, width = x.shape
        self.check_frame_size(height, width)
        states = {
            name: x.new_zeros(batch, self.state_channels(name), height, width)
            for name in self.state_names if name != 'history_valid'
        }
        states['history_valid'] = x.new_zeros(batch, self.tau, 1, 1)
        return states

    def _check_input(self, x: torch.Tensor) -> bool:
        """Whether ``x`` is a clip (True) or one frame (False)."""
        channels = x.shape[1]
        if self.window_length > 1 and \
                channels == self.in_channels * self.window_length:
            return True
        if channels == self.in_channels:
            return False
        raise ValueError(
            f'E3DLSTMCell(in_channels={self.in_channels}, window_length='
            f'{self.window_length}) reads a frame of {self.in_channels} '
            f'channels or a clip of {self.in_channels * self.window_length} '
            f'(the output of an E3DLSTMCell below), got {channels}. Check '
            'the layer order and channels; every layer of an E3D-LSTM stack '
            'needs the same window_length.')

    # ------------------------------------------------------------------
    def _conv3d(self, conv: nn.Conv3d, x: torch.Tensor) -> torch.Tensor:
        """3D convolution with TensorFlow's 'same' padding along time."""
        extra = conv.kernel_size[0] - 1
        if extra:
            x = F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2))
        return conv(x)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        ``memory`` is ``M^{k-1}_t`` (zeros when None); the returned memory
        is ``M^k_t``.
        """
        hidden = self.hidden_channels
        if self._check_input(x):
            x_window = x
        else:
            # slide the window of frames: drop the oldest, append x
            window = self.unfold(states['x_window'], self.in_channels)
            x_window = self.fold(
                torch.cat([window[:, :, 1:], x.unsqueeze(2)], dim=2))
        if memory is None:
            memory = self.init_memory(x)
        x5 = self.unfold(x_window, self.in_channels)
        h5 = self.unfold(states['h'], hidden)
        c5 = self.unfold(states['c'], hidden)
        m5 = self.unfold(memory, hidden)

        # the eidetic history: push C_{t-1}, keep the last tau states
        batch, _, height, width = states['c'].shape
        history = states['c_history'].view(batch, self.tau, hidden,
                                           self.window_length, height, width)
        history = torch.cat([history[:, 1:], c5.unsqueeze(1)], dim=1)
        filled = states['history_valid'].new_ones(batch, 1, 1, 1)
        valid = torch.cat([states['history_valid'][:, 1:], filled], dim=1)

        temporal = self._normed(
            self.temporal_norm,
            self._conv3d(self.temporal_conv, torch.cat([x5, h5], dim=1)))
        r, i, g, o_xh = torch.split(temporal, hidden, dim=1)
        spatial = self._normed(
            self.spatial_norm,
            self._conv3d(self.spatial_conv, torch.cat([x5, m5], dim=1)))
        i_m, g_m, f_m = torch.split(spatial, hidden, dim=1)

        recall = recall_attention(
            torch.sigmoid(r), history, valid.flatten(1), self.recall_scope)
        c_new = torch.sigmoid(i) * torch.tanh(g) + self.recall_norm(c5 +
                                                                    recall)
        m_new = torch.sigmoid(i_m) * torch.tanh(g_m) + torch.sigmoid(
            f_m + self.forget_bias) * m5
        memories = torch.cat([c_new, m_new], dim=1)
        o = torch.sigmoid(o_xh + self._conv3d(self.output_conv, memories))
        h_new = o * torch.tanh(self._conv3d(self.fusion_conv, memories))

        new_states = dict(
            h=self.fold(h_new),
            c=self.fold(c_new),
            x_window=x_window,
            c_history=history.reshape(batch, -1, height, width),
            history_valid=valid)
        return new_states, self.fold(m_new), {}
