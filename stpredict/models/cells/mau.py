"""Motion-Aware Unit (Chang et al., NeurIPS 2021)."""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from stpredict.registry import CELLS
from .base import BaseCell, CellOutput, States
from .norms import apply_norm, build_cell_norm

CELL_MODES = ('normal', 'residual')


@CELLS.register_module()
class MAUCell(BaseCell):
    r"""Motion-Aware Unit: attention over the last ``tau`` steps' states.

    Chang, Zhang, Wang, Ma, Ye, Xiang and Gao, "MAU: A Motion-Aware Unit for
    Video Prediction and Beyond", NeurIPS 2021 (Sec. 3).

    A layer keeps a temporal state ``T`` over time; its input is the spatial
    state ``S^{k-1}_t`` of the layer below (the frame feature at layer 0)
    and its output the spatial state ``S^k_t``. The *attention module*
    weighs the last ``tau`` temporal states by how well the current spatial
    state matches the spatial states of those steps, and mixes the result
    into ``T^k_{t-1}`` (the augmented motion information, AMI); the
    *fusion module* exchanges information between the AMI and the spatial
    state:

    .. math::
        \alpha_j &= \mathrm{softmax}_{j=1..\tau}\Big(
            \frac{(W_{s'} * S^{k-1}_t) \cdot S^{k-1}_{t-j}}{\sqrt{d}}\Big),
            \quad d = C_S H W \\
        T_{att} &= \textstyle\sum_{j=1}^{\tau} \alpha_j T^k_{t-j} \\
        U_f &= \sigma(W_f * T^k_{t-1}) \\
        T_{AMI} &= U_f \odot T^k_{t-1} + (1 - U_f) \odot T_{att} \\
        U_t &= \sigma(W_{tu} * T_{AMI}), \quad
        U_s = \sigma(W_{su} * S^{k-1}_t) \\
        T^k_t &= U_t \odot (W_{tt} * T_{AMI})
                 + (1 - U_t) \odot (W_{st} * S^{k-1}_t) \\
        S^k_t &= U_s \odot (W_{ss} * S^{k-1}_t)
                 + (1 - U_s) \odot (W_{ts} * T_{AMI})
                 \; [+ S^{k-1}_t \text{ in the residual mode}]

    The dot product runs over all channels and pixels of a state (one weight
    per past step and sample). Fused convolutions (same math, fewer
    kernels): ``spatial_conv`` on ``S^{k-1}_t`` gives ``W_su, W_st, W_ss``
    and the attention query ``W_{s'}`` (``3 * hidden + in_channels``
    channels); ``temporal_conv`` on ``T_{AMI}`` gives ``W_tu, W_tt, W_ts``;
    ``forget_conv`` on ``T^k_{t-1}`` gives ``U_f``.

    States, all built from the input (zeros before the first step, which
    take part in the softmax as in the authors' code):

    - ``t``: ``T^k_{t-1}``; ``s``: ``S^k_t``, the layer's output;
    - ``t_history``: ``T^k_{t-tau}, ..., T^k_{t-1}`` (oldest first, folded
      into the channels, ``tau * hidden_channels``);
    - ``s_history``: the layer's inputs ``S^{k-1}_{t-tau}, ...,
      S^{k-1}_{t-1}`` (``tau * in_channels``).

    Notes on the authors' code: it applies ``LayerNorm([C, H, W])`` after
    every convolution (``norm='layer'`` with ``spatial_size`` here; None by
    default) and wraps the cells in a strided-convolution encoder and a
    transposed-convolution decoder (with skip "information recalling" in
    one mode); here the predictor's stem and head take their place. Their
    training schedule decays the scheduled-sampling eta linearly; the
    stpredict configs use :class:`ScheduledSamplingHook` for that.

    Args:
        in_channels (int): Channels of the input ``S^{k-1}_t``.
        hidden_channels (int): Channels of ``T`` and ``S^k``.
        kernel_size (int | tuple[int, int]): Kernel of the convolutions.
            Defaults to 5 (the authors' code).
        tau (int): Past steps the attention module reads. Defaults to 5.
        cell_mode (str): ``'normal'`` or ``'residual'`` (adds
            ``S^{k-1}_t`` to ``S^k_t``; needs ``in_channels ==
            hidden_channels``). Defaults to ``'normal'``.
        bias (bool): Whether the convolutions have biases. Defaults to True.
        spatial_size (Sequence[int], optional): ``(H, W)`` at the cell's
            scale; needed only by ``norm='layer'``. Defaults to None.
        norm (str, optional): Normalisation after each convolution: None,
            ``'group'`` or ``'layer'`` (see :func:`build_cell_norm`).
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('t', 's', 't_history', 's_history')
    output_state = 's'

    # its entry in the cell zoo (see zoo.py)
    zoo = dict(
        key='mau', name='MAU', year=2021,
        paper='Chang et al., NeurIPS 2021')

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 5,
                 tau: int = 5,
                 cell_mode: str = 'normal',
                 bias: bool = True,
                 spatial_size: Optional[Sequence[int]] = None,
                 norm: Optional[str] = None,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        if int(tau) != tau or tau < 1:
            raise ValueError(
                f'MAUCell needs an integer tau >= 1, got {tau!r}.')
        if cell_mode not in CELL_MODES:
            raise ValueError(f'Unknown MAU cell_mode {cell_mode!r}; choose '
                             f'one of {CELL_MODES}.')
        if cell_mode == 'residual' and in_channels != hidden_channels:
            raise ValueError(
                "MAUCell(cell_mode='residual') adds its input to its output, "
                'so in_channels must equal hidden_channels; got '
                f'{in_channels} and {hidden_channels}. Use a stem to '
                "hidden_channels, or cell_mode='normal'.")
        self.tau = int(tau)
        self.cell_mode = cell_mode
        hidden = hidden_channels

        def conv(cin: int, cout: int) -> nn.Conv2d:
            return nn.Conv2d(
                cin, cout, self.kernel_size, padding=self.padding, bias=bias)

        self.spatial_conv = conv(in_channels, 3 * hidden + in_channels)
        self.temporal_conv = conv(hidden, 3 * hidden)
        self.forget_conv = conv(hidden, hidden)
        self.declare_frame_size(spatial_size, norm == 'layer')
        self.spatial_norm = build_cell_norm(norm, 3 * hidden, spatial_size)
        self.query_norm = build_cell_norm(norm, in_channels, spatial_size)
        self.temporal_norm = build_cell_norm(norm, 3 * hidden, spatial_size)
        self.forget_norm = build_cell_norm(norm, hidden, spatial_size)

    def state_channels(self, name: str) -> int:
        """Channels of each state (see the class docstring)."""
        if name == 't_history':
            return self.tau * self.hidden_channels
        if name == 's_history':
            return self.tau * self.in_channels
        return self.hidden_channels

    def attention_weights(self, query: torch.Tensor,
                          s_history: torch.Tensor) -> torch.Tensor:
        """Softmax over the past steps of the scaled dot products.

        Args:
            query (torch.Tensor): ``W_{s'} * S^{k-1}_t`` ``[B, C_S, H, W]``.
            s_history (torch.Tensor): ``[B, tau, C_S, H, W]``.

        Returns:
            torch.Tensor: ``alpha`` ``[B, tau]``.
        """
        scale = math.sqrt(query[0].numel())
        logits = (s_history * query.unsqueeze(1)).flatten(2).sum(-1) / scale
        return torch.softmax(logits, dim=1)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        ``x`` is ``S^{k-1}_t``; the output (state ``s``) is ``S^k_t``.
        """
        hidden = self.hidden_channels
        batch, _, height, width = x.shape
        t_prev = states['t']
        t_history = states['t_history'].view(batch, self.tau, hidden, height,
                                             width)
        s_history = states['s_history'].view(batch, self.tau, self.in_channels,
                                             height, width)

        spatial, query = torch.split(
            self.spatial_conv(x), [3 * hidden, self.in_channels], dim=1)
        spatial = apply_norm(self.spatial_norm, spatial)
        query = apply_norm(self.query_norm, query)

        # attention module
        alpha = self.attention_weights(query, s_history)
        t_att = (alpha.view(batch, self.tau, 1, 1, 1) * t_history).sum(1)
        u_f = torch.sigmoid(
            apply_norm(self.forget_norm, self.forget_conv(t_prev)))
        t_ami = u_f * t_prev + (1 - u_f) * t_att

        # fusion module
        temporal = apply_norm(self.temporal_norm, self.temporal_conv(t_ami))
        t_u, t_t, t_s = torch.split(temporal, hidden, dim=1)
        s_u, s_t, s_s = torch.split(spatial, hidden, dim=1)
        u_t = torch.sigmoid(t_u)
        u_s = torch.sigmoid(s_u)
        t_new = u_t * t_t + (1 - u_t) * s_t
        s_new = u_s * s_s + (1 - u_s) * t_s
        if self.cell_mode == 'residual':
            s_new = s_new + x

        new_states = dict(
            t=t_new,
            s=s_new,
            t_history=torch.cat(
                [t_history[:, 1:], t_new.unsqueeze(1)], dim=1).flatten(1, 2),
            s_history=torch.cat(
                [s_history[:, 1:], x.unsqueeze(1)], dim=1).flatten(1, 2))
        return new_states, memory, {}
