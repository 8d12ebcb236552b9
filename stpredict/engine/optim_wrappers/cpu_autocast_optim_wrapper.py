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

    Recurrent models apply each weight at every time step. With
    ``cache_enabled=True`` (the default, torch's) autocast casts a weight
    to bfloat16 once per forward pass and shares the cast by all steps, so
    autograd sums the weight's per-step gradients in bfloat16 before they
    reach the float32 gradient. ``cache_enabled=False`` casts at every use
    instead, so that each step's gradient is summed in float32: its
    gradients are closer to float32's, at a small cost in speed
    (``python tools/analysis_tools/benchmark.py --only bf16`` prints both
    errors and speeds), but over 3 seeds of the tiny config it
    did not train to a better test MSE than the cached casts
    (``bash tools/analysis_tools/bf16_accuracy.sh``, docs/benchmarks.md),
    so the faster cached cast stays the default. Frozen teachers of a
    transfer method keep bfloat16 copies of their weights
    (``MemoryTransfer(teacher_precision='auto')``).

    Args:
        dtype (str): Autocast dtype, ``'bfloat16'`` (default) or
            ``'float16'``.
        cache_enabled (bool): Cast a weight once per forward pass and share
            the cast by the time steps (torch's default; bfloat16 gradient
            sums over the steps) instead of at every use (float32 sums).
            Defaults to True.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`
            (``optimizer``, ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self,
                 dtype: str = 'bfloat16',
                 cache_enabled: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if dtype not in ('bfloat16', 'float16'):
            raise ValueError(
                f"CPU autocast dtype must be 'bfloat16' or 'float16', got "
                f'{dtype!r}.')
        self.cast_dtype = getattr(torch, dtype)
        self.cache_enabled = bool(cache_enabled)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-accumulation context of the parent, plus autocast."""
        with super().optim_context(model), torch.autocast(
                device_type='cpu',
                dtype=self.cast_dtype,
                cache_enabled=self.cache_enabled):
            yield
