"""A convolutional GRU cell registered in stpredict's ``CELLS`` registry."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from stpredict.models.cells import BaseCell
from stpredict.models.cells.base import CellOutput, States
from stpredict.registry import CELLS

RESET_POSITIONS = ('after', 'before')
ACTIVATIONS = ('tanh', 'leaky_relu')


@CELLS.register_module()
class ConvGRUCell(BaseCell):
    r"""Convolutional GRU (ConvGRU).

    A GRU whose matrix products are convolutions, so that the hidden state
    keeps the layout of the frames. With ``reset='after'`` (the ConvGRU of
    Shi et al., "Deep Learning for Precipitation Nowcasting: A Benchmark and
    A New Model", NeurIPS 2017, Eqs. 3):

    .. math::
        Z_t &= \sigma(W_{xz} * X_t + W_{hz} * H_{t-1} + b_z) \\
        R_t &= \sigma(W_{xr} * X_t + W_{hr} * H_{t-1} + b_r) \\
        H'_t &= f(W_{xh} * X_t + R_t \odot (W_{hh} * H_{t-1}) + b_h) \\
        H_t &= (1 - Z_t) \odot H'_t + Z_t \odot H_{t-1}

    With ``reset='before'`` (Ballas et al., "Delving Deeper into
    Convolutional Networks for Learning Video Representations", ICLR 2016)
    the reset gate acts on the hidden state before its convolution:
    :math:`H'_t = f(W_{xh} * X_t + W_{hh} * (R_t \odot H_{t-1}) + b_h)`.
    Ballas et al. write the update with the roles of :math:`Z_t` and
    :math:`1 - Z_t` swapped; that is the same model with the update gate's
    weights negated, so both variants use the convention above.

    The three convolutions on ``X`` are fused into one (``input_conv``,
    ``3 * hidden_channels`` outputs, the only biases ``b_z, b_r, b_h``).
    With ``reset='after'`` the three on ``H_{t-1}`` are fused as well
    (``hidden_conv``); with ``reset='before'`` ``hidden_conv`` gives the two
    gate terms and ``reset_hidden_conv`` convolves ``R_t * H_{t-1}``. Both
    variants have ``(in_channels + hidden_channels) * 3 * hidden_channels *
    kh * kw + 3 * hidden_channels`` parameters.

    The cell carries one state, ``h`` (its output); it does not use the
    zigzag memory nor the diagonal input, and keeps nothing on the module
    between calls.

    Args:
        in_channels (int): Channels of the input ``X``.
        hidden_channels (int): Channels of ``H``.
        kernel_size (int | tuple[int, int]): Kernel of every convolution
            (odd). Defaults to 3.
        reset (str): Where the reset gate acts: ``'after'`` the convolution
            of ``H_{t-1}`` (Shi et al.) or ``'before'`` it (Ballas et al.).
            Defaults to ``'after'``.
        activation (str): ``f``: ``'tanh'`` or ``'leaky_relu'`` (slope 0.2,
            the choice of Shi et al.). Defaults to ``'tanh'``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    state_names = ('h', )
    output_state = 'h'

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: Union[int, Tuple[int, int]] = 3,
                 reset: str = 'after',
                 activation: str = 'tanh',
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(
            in_channels, hidden_channels, kernel_size, init_cfg=init_cfg)
        if reset not in RESET_POSITIONS:
            raise ValueError(f"ConvGRUCell: reset must be one of "
                             f"{RESET_POSITIONS}, got {reset!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f'ConvGRUCell: activation must be one of '
                             f'{ACTIVATIONS}, got {activation!r}.')
        self.reset = reset
        self.activation = activation
        self.input_conv = nn.Conv2d(
            in_channels,
            3 * hidden_channels,
            self.kernel_size,
            padding=self.padding)
        hidden_terms = 3 if reset == 'after' else 2
        self.hidden_conv = nn.Conv2d(
            hidden_channels,
            hidden_terms * hidden_channels,
            self.kernel_size,
            padding=self.padding,
            bias=False)
        if reset == 'before':
            self.reset_hidden_conv = nn.Conv2d(
                hidden_channels,
                hidden_channels,
                self.kernel_size,
                padding=self.padding,
                bias=False)
        else:
            self.reset_hidden_conv = None

    def candidate_activation(self, x: torch.Tensor) -> torch.Tensor:
        """``f`` of the candidate state."""
        if self.activation == 'tanh':
            return torch.tanh(x)
        return F.leaky_relu(x, negative_slope=0.2)

    def forward(self,
                x: torch.Tensor,
                states: States,
                memory: Optional[torch.Tensor] = None,
                diagonal: Optional[torch.Tensor] = None) -> CellOutput:
        """One step; see :meth:`BaseCell.forward`.

        Args:
            x (torch.Tensor): Input ``[B, in_channels, H, W]``.
            states (dict[str, torch.Tensor]): ``{'h': H_{t-1}}``.
            memory (torch.Tensor, optional): Not used; returned as is.
            diagonal (torch.Tensor, optional): Not used.

        Returns:
            tuple: ``({'h': H_t}, memory, {})``.
        """
        h = states['h']
        if x.shape[-2:] != h.shape[-2:] or x.shape[0] != h.shape[0]:
            raise ValueError(
                f'ConvGRUCell: the input {tuple(x.shape)} and the state '
                f'{tuple(h.shape)} differ in batch or spatial size; build '
                'the states from the first input with init_states(x).')
        hidden = self.hidden_channels
        x_z, x_r, x_h = torch.split(self.input_conv(x), hidden, dim=1)
        if self.reset == 'after':
            h_z, h_r, h_h = torch.split(self.hidden_conv(h), hidden, dim=1)
            z = torch.sigmoid(x_z + h_z)
            r = torch.sigmoid(x_r + h_r)
            candidate = x_h + r * h_h
        else:
            h_z, h_r = torch.split(self.hidden_conv(h), hidden, dim=1)
            z = torch.sigmoid(x_z + h_z)
            r = torch.sigmoid(x_r + h_r)
            candidate = x_h + self.reset_hidden_conv(r * h)
        h_new = (1 - z) * self.candidate_activation(candidate) + z * h
        return dict(h=h_new), memory, {}
