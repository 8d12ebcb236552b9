"""Parameters, FLOPs, training memory and speed of a predictor."""
import time
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn

BYTES_PER_GIB = 1024**3


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``model``.

    Args:
        model (nn.Module): The model.
        trainable_only (bool): Count only parameters that require grad.
            Defaults to False.

    Returns:
        int: The count.
    """
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


def count_flops(model: nn.Module, frames: torch.Tensor) -> int:
    """Forward FLOPs of one unrolled sequence batch, by mmengine's counter.

    The model runs in ``'tensor'`` mode (all ``T_in + T_out - 1`` steps);
    like mmengine (and MS-RNN's tables) one fused multiply-add counts as one
    FLOP, and convolutions and matrix products dominate the count.

    Args:
        model (nn.Module): A :class:`RecurrentPredictor`.
        frames (torch.Tensor): Patched frames ``[B, T, C, H, W]``.

    Returns:
        int: FLOPs of the forward pass.
    """
    from mmengine.analysis import FlopAnalyzer
    was_training = model.training
    model.eval()
    try:
        analyzer = FlopAnalyzer(model, (frames, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return int(analyzer.total())
    finally:
        model.train(was_training)


def count_macs_by_module(model: nn.Module, frames: torch.Tensor
                         ) -> Tuple[Dict[str, int], Dict[str, int]]:
    """Forward multiply-adds of one unrolled batch, per module and operator.

    The same count as :func:`count_flops` (mmengine's ``FlopAnalyzer``: one
    fused multiply-add, i.e. about two floating-point operations, counts
    once; convolutions and matrix products are counted, element-wise gate
    arithmetic is not), split by the module that ran it (summed over all
    time steps) and by operator.

    Args:
        model (nn.Module): A :class:`RecurrentPredictor`.
        frames (torch.Tensor): Patched frames ``[B, T, C, H, W]``.

    Returns:
        tuple[dict, dict]: ``{module name: MACs}`` (``''`` is the whole
        model; every submodule is listed, also those with 0) and
        ``{operator: MACs}``.
    """
    from mmengine.analysis import FlopAnalyzer
    was_training = model.training
    model.eval()
    try:
        analyzer = FlopAnalyzer(model, (frames, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        by_module = {name: int(count)
                     for name, count in analyzer.by_module().items()}
        by_operator = {name: int(count)
                       for name, count in analyzer.by_operator().items()}
        return by_module, by_operator
    finally:
        model.train(was_training)


def _training_loss(model: nn.Module, frames: torch.Tensor) -> torch.Tensor:
    losses = model(frames, mode='loss')
    return sum(value for key, value in losses.items() if 'loss' in key)


def measure_training_memory(model: nn.Module,
                            frames: torch.Tensor) -> Dict[str, float]:
    """Memory of one training step, in bytes.

    On every device: the parameters, their gradients, Adam's two moment
    buffers, and the activations autograd saves for the backward pass (the
    distinct storages of the tensors saved during the forward pass,
    parameters and inputs excluded) - the part MS-RNN's pyramid shrinks.
    On a GPU also the peak allocated memory of the forward and backward
    pass (``torch.cuda.max_memory_allocated``).

    Args:
        model (nn.Module): A :class:`RecurrentPredictor` in training mode.
        frames (torch.Tensor): Patched frames ``[B, T_in + T_out, C, H, W]``
            on the model's device.

    Returns:
        dict: ``params``, ``grads``, ``optimizer``, ``activations``,
        ``total`` and, on a GPU, ``cuda_peak`` (bytes).
    """
    param_bytes = sum(p.numel() * p.element_size()
                      for p in model.parameters())
    excluded = {p.untyped_storage().data_ptr() for p in model.parameters()}
    excluded.add(frames.untyped_storage().data_ptr())
    saved: Dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        pointer = storage.data_ptr()
        if pointer not in excluded:
            saved[pointer] = storage.nbytes()
        return tensor

    on_cuda = frames.is_cuda
    if on_cuda:
        torch.cuda.synchronize(frames.device)
        torch.cuda.reset_peak_memory_stats(frames.device)
    model.train()
    model.zero_grad(set_to_none=True)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = _training_loss(model, frames)
    loss.backward()
    result = dict(
        params=float(param_bytes),
        grads=float(param_bytes),
        optimizer=float(2 * param_bytes),
        activations=float(sum(saved.values())))
    result['total'] = sum(result.values())
    if on_cuda:
        torch.cuda.synchronize(frames.device)
        result['cuda_peak'] = float(
            torch.cuda.max_memory_allocated(frames.device))
    model.zero_grad(set_to_none=True)
    return result


def time_training_step(model: nn.Module,
                       frames: torch.Tensor,
                       repeats: int = 3,
                       warmup: int = 1,
                       optimizer: Optional[torch.optim.Optimizer] = None
                       ) -> float:
    """Seconds per training step (forward, backward, Adam update).

    Args:
        model (nn.Module): A :class:`RecurrentPredictor`.
        frames (torch.Tensor): Patched frames ``[B, T_in + T_out, C, H, W]``.
        repeats (int): Timed steps (the median is returned). Defaults to 3.
        warmup (int): Untimed steps first. Defaults to 1.
        optimizer (torch.optim.Optimizer, optional): Defaults to Adam.

    Returns:
        float: The median time of one step in seconds.
    """
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()
    times = []
    for index in range(warmup + repeats):
        _sync(frames)
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        _training_loss(model, frames).backward()
        optimizer.step()
        _sync(frames)
        if index >= warmup:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def time_prediction(model: nn.Module,
                    frames: torch.Tensor,
                    repeats: int = 3,
                    warmup: int = 1) -> float:
    """Seconds to forecast one batch from its observed frames (no grad).

    Args:
        model (nn.Module): A :class:`RecurrentPredictor`.
        frames (torch.Tensor): Patched frames ``[B, T, C, H, W]``.
        repeats (int): Timed runs (median returned). Defaults to 3.
        warmup (int): Untimed runs first. Defaults to 1.

    Returns:
        float: The median time per batch in seconds.
    """
    model.eval()
    times = []
    with torch.no_grad():
        for index in range(warmup + repeats):
            _sync(frames)
            start = time.perf_counter()
            model(frames, mode='tensor')
            _sync(frames)
            if index >= warmup:
                times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _sync(tensor: torch.Tensor) -> None:
    if tensor.is_cuda:
        torch.cuda.synchronize(tensor.device)
