"""Mixed precision on the CPU (bfloat16 autocast)."""
from contextlib import contextmanager

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from stpredict.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """Run the forward pass under ``torch.autocast('cpu', bfloat16)``.

    mmengine's ``AmpOptimWrapper`` needs a GPU. On CPUs with bfloat16
    instructions (e.g. AVX512-BF16) convolutions run up to about 2x faster
    in bfloat16 (``python tools/analysis_tools/benchmark.py --only bf16``
    prints the training-step speed-up). bfloat16 has float32's exponent
    range, so no loss scaling is needed; weights, gradients and optimiser
    state stay float32, and stpredict's losses are computed in float32.

    Autocast casts each trainable weight once per forward pass (its cast is
    cached for the whole unroll, not redone at every time step); frozen
    teachers of a transfer method keep bfloat16 copies of their weights
    instead (``MemoryTransfer(teacher_precision='auto')``). Because the
    cast is shared by the time steps, autograd sums a weight's per-step
    gradients in bfloat16 before they reach the float32 gradient.

    Args:
        dtype (str): Autocast dtype, ``'bfloat16'`` (default) or
            ``'float16'``.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`
            (``optimizer``, ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self, dtype: str = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(
                f"CPU autocast dtype must be 'bfloat16' or 'float16', got "
                f'{dtype!r}.')
        self.cast_dtype = getattr(torch, dtype)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-accumulation context of the parent, plus autocast."""
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
