"""Speed and memory ratios of issue 16 from one process.

At the TMU / PredRNN setting (batch 4, 20 frames of 64x64 patched 4x4,
4 layers x 64, kernel 5; TMU with 3x3 transfer gates as in
``configs/_base_/models/tmu_convlstm_4x64.py``) it prints:

a. the test-time TMU forecast over a ConvLSTM forecast (no teachers);
b. a TMU training step with 2 teachers (ConvLSTMs of the same size, random
   weights: speed does not depend on them) over a ConvLSTM step, with the
   teachers in float32 and in bfloat16 (``teacher_precision``);
c. a float32 training step over a bfloat16 autocast one (what ``--amp``
   does on a CPU: the speed-up), for ConvLSTM and PredRNN, with weights
   cast once per forward pass (``CPUAutocastOptimWrapper``'s default) and
   at every use (``cache_enabled=False``), and how far each one's
   gradients are from float32's;
d. time-checkpointed training (``model.checkpoint_every=1``) of a ConvLSTM:
   activation memory held for the backward pass and step time, over the
   plain run.

With ``--profile`` it also runs every compared run once more under
``torch.profiler`` and prints how much of its time the convolutions take
(forward and backward): where that share is high, a ratio cannot beat the
ratio of the runs' convolution times.

The compared runs alternate (A, B, A, B, ...) so that drift of a shared
machine hits both; each ratio is the median of the per-round ratios. A
training step is forward, backward and an Adam update; a forecast reads
10 frames and predicts 10 (batch 4, no grad). The thread count is printed;
set it with ``OMP_NUM_THREADS`` or ``--threads``.

Examples:
    OMP_NUM_THREADS=1 python tools/analysis_tools/benchmark.py
    python tools/analysis_tools/benchmark.py --only forecast tmu --rounds 5
    python tools/analysis_tools/benchmark.py --only forecast tmu --profile
    python tools/analysis_tools/benchmark.py --quick   # tiny, seconds
"""
import argparse
import copy
import datetime
import gc
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from torch.multiprocessing.reductions import StorageWeakRef  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402

CONVLSTM = 'configs/_base_/models/convlstm_4x64.py'
PREDRNN = 'configs/_base_/models/predrnn_4x64.py'
TMU = 'configs/_base_/models/tmu_convlstm_4x64.py'
PARTS = ('forecast', 'tmu', 'bf16', 'checkpoint')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[1:]))
    parser.add_argument('--only', nargs='+', choices=PARTS,
                        help='parts to run (default: all)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='timed rounds per comparison (default: 3)')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: OMP_NUM_THREADS or '
                        "torch's default)")
    parser.add_argument('--quick', action='store_true',
                        help='a tiny setting (2 x 8, 16x16 frames, 2 -> 2, '
                        'batch 2) and one round: checks that it runs')
    parser.add_argument('--profile', action='store_true',
                        help='also print the convolutions\' share of every '
                        'compared run (torch.profiler, one more call each)')
    return parser.parse_args(argv)


# ----------------------------------------------------------------------
# models
# ----------------------------------------------------------------------
def model_cfg(path: str, quick: bool) -> dict:
    """The model config of ``path`` (shrunk with ``quick``)."""
    cfg = copy.deepcopy(Config.fromfile(osp.join(ROOT, path)).model)
    cfg = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    if quick:
        cfg.update(input_frames=2, output_frames=2)
        cfg['neck'].update(num_layers=2, hidden_channels=8)
        cfg['neck']['cell']['kernel_size'] = 3
    return cfg


def build(cfg: dict, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return MODELS.build(copy.deepcopy(cfg))


def teachers(tmp_dir: str, quick: bool) -> List[dict]:
    """Two ConvLSTM source models (random weights) written to ``tmp_dir``:
    a config file that holds the model and a weights-only checkpoint."""
    cfg = model_cfg(CONVLSTM, quick)
    config = osp.join(tmp_dir, 'source.py')
    with open(config, 'w') as file:
        file.write(f'model = {cfg!r}\n')
    sources = []
    for index in range(2):
        checkpoint = osp.join(tmp_dir, f'source{index}.pth')
        torch.save(dict(state_dict=build(cfg, 10 + index).state_dict(),
                        meta={}), checkpoint)
        sources.append(dict(config=config, checkpoint=checkpoint,
                            name=f'source{index}'))
    return sources


def frames_for(model: torch.nn.Module, batch: int,
               size: int) -> torch.Tensor:
    torch.manual_seed(0)
    raw = torch.rand(batch, model.total_frames, model.in_channels, size,
                     size)
    return model.data_preprocessor.patch(raw)


# ----------------------------------------------------------------------
# measurements
# ----------------------------------------------------------------------
def loss_of(model: torch.nn.Module, frames: torch.Tensor) -> torch.Tensor:
    losses = model(frames, mode='loss')
    return sum(value for key, value in losses.items() if 'loss' in key)


def autocast_loss(model: torch.nn.Module, frames: torch.Tensor, amp: bool,
                  cache_enabled: bool) -> torch.Tensor:
    """The training loss, under bfloat16 autocast with ``amp`` (as
    ``CPUAutocastOptimWrapper``: around the forward pass only)."""
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=amp,
                        cache_enabled=cache_enabled):
        return loss_of(model, frames)


def training_step(model: torch.nn.Module,
                  frames: torch.Tensor,
                  amp: bool = False,
                  cache_enabled: bool = True) -> Callable[[], None]:
    """One training step (as ``CPUAutocastOptimWrapper`` with ``amp``:
    autocast around the forward pass only)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()

    def run() -> None:
        optimizer.zero_grad(set_to_none=True)
        autocast_loss(model, frames, amp, cache_enabled).backward()
        optimizer.step()

    return run


def gradient_error(model: torch.nn.Module, frames: torch.Tensor,
                   cache_enabled: bool) -> float:
    """``||g_bf16 - g_fp32|| / ||g_fp32||`` over all parameters: how far the
    bfloat16 autocast gradients of one batch are from float32's."""
    model.train()
    grads = []
    for amp in (False, True):
        model.zero_grad(set_to_none=True)
        torch.manual_seed(0)
        autocast_loss(model, frames, amp, cache_enabled).backward()
        grads.append([p.grad.clone() for p in model.parameters()
                      if p.grad is not None])
    model.zero_grad(set_to_none=True)
    exact, low = grads
    diff = sum(float((a - b).pow(2).sum()) for a, b in zip(low, exact))
    norm = sum(float(b.pow(2).sum()) for b in exact)
    return (diff / norm)**0.5


def cpu_name() -> str:
    """The processor's model name and its bfloat16 instructions (Linux),
    else ``platform.processor()``."""
    name, flags = '', []
    try:
        with open('/proc/cpuinfo') as file:
            for text in file:
                if text.startswith('model name') and not name:
                    name = text.split(':', 1)[1].strip()
                elif text.startswith('flags') and not flags:
                    flags = [flag for flag in text.split(':', 1)[1].split()
                             if flag in ('avx512_bf16', 'amx_bf16')]
    except OSError:
        pass
    name = name or platform.processor() or 'unknown CPU'
    return f"{name} (bfloat16 instructions: {', '.join(flags) or 'none'})"


def forecast(model: torch.nn.Module,
             frames: torch.Tensor) -> Callable[[], None]:
    """Forecast ``T_out`` frames from ``T_in`` observed ones (no grad)."""
    model.eval()
    observed = frames[:, :model.input_frames]

    def run() -> None:
        with torch.no_grad():
            model(observed, mode='tensor')

    return run


def alternate(runs: Dict[str, Callable[[], None]],
              rounds: int) -> Dict[str, List[float]]:
    """Time every run once per round, in turn (one untimed round first)."""
    for run in runs.values():
        run()
    times: Dict[str, List[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


class _StorageTracker(TorchDispatchMode):
    """Record the storage of every tensor an operator returns."""

    def __init__(self) -> None:
        super().__init__()
        self.storages: Dict[int, tuple] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in torch.utils._pytree.tree_leaves(out):
            if isinstance(tensor, torch.Tensor) and tensor.device.type != \
                    'meta':
                storage = tensor.untyped_storage()
                self.storages[storage.data_ptr()] = (StorageWeakRef(storage),
                                                     storage.nbytes())
        return out


def held_activation_bytes(model: torch.nn.Module,
                          frames: torch.Tensor) -> int:
    """Bytes of the tensors made in the forward pass that are still alive
    when it returns the loss: what the backward pass holds on to.

    Unlike counting the tensors autograd saves (``saved_tensors_hooks``),
    this also sees what a checkpointed segment keeps (its inputs) and
    nothing that it will only recompute. Parameters and the input frames
    are not counted.
    """
    model.train()
    model.zero_grad(set_to_none=True)
    gc.collect()
    tracker = _StorageTracker()
    with tracker:
        loss = loss_of(model, frames)
    gc.collect()
    excluded = {p.untyped_storage().data_ptr() for p in model.parameters()}
    excluded.add(frames.untyped_storage().data_ptr())
    excluded.add(loss.untyped_storage().data_ptr())
    held = sum(nbytes for pointer, (ref, nbytes) in tracker.storages.items()
               if pointer not in excluded and not ref.expired())
    loss.backward()
    model.zero_grad(set_to_none=True)
    return held


def convolution_share(run: Callable[[], None]) -> tuple:
    """Seconds spent in convolution operators (forward and backward, the
    self time of every profiled operator whose name holds ``conv``) and
    the wall time of one ``run()`` under ``torch.profiler``."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=activities) as profiler:
        start = time.perf_counter()
        run()
        wall = time.perf_counter() - start
    conv_us = sum(event.self_cpu_time_total
                  for event in profiler.key_averages()
                  if 'conv' in event.key.lower())
    return conv_us / 1e6, wall


def ratio(times: Dict[str, List[float]], num: str, den: str) -> float:
    """Median over rounds of ``num / den``."""
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def line(name: str, times: Dict[str, List[float]], num: str, den: str,
         note: str = '') -> str:
    median = {key: statistics.median(value) for key, value in times.items()}
    return (f'| {name} | {median[num]:.3g} s | {median[den]:.3g} s | '
            f'{ratio(times, num, den):.2f}x | {note} |')


# ----------------------------------------------------------------------
def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=False)
    quick = args.quick
    rounds = 1 if quick else args.rounds
    batch = 2 if quick else args.batch_size
    size = 16 if quick else 64
    parts = args.only or PARTS
    setting = ('quick: 2 x 8, kernel 3, 16x16 frames patched 4x4, 2 -> 2, '
               f'batch {batch}' if quick else
               f'4 x 64, kernel 5 (TMU gates 3x3), 64x64 frames patched '
               f'4x4, 10 -> 10, batch {batch}')
    lines = [
        f'# stpredict benchmark ({datetime.date.today()}), torch '
        f'{torch.__version__}, {torch.get_num_threads()} thread(s) '
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), "
        f'{rounds} alternating round(s)',
        f'# {cpu_name()}, {os.cpu_count()} logical CPU(s)', f'# {setting}', '',
        '| ratio | A | B | A / B | note |', '| --- | --- | --- | --- | --- |'
    ]
    for text in lines:
        print(text, flush=True)
    profiles: List[str] = []

    def emit(text: str) -> None:
        lines.append(text)
        print(text, flush=True)

    def profile(part: str, runs: Dict[str, Callable[[], None]]) -> None:
        if not args.profile:
            return
        for name, run in runs.items():
            conv_s, wall_s = convolution_share(run)
            profiles.append(f'| ({part}) {name} | {conv_s:.3g} s | '
                            f'{wall_s:.3g} s | {conv_s / wall_s:.0%} |')

    conv_cfg = model_cfg(CONVLSTM, quick)
    conv = build(conv_cfg)
    frames = frames_for(conv, batch, size)
    if 'forecast' in parts:
        tmu = build(model_cfg(TMU, quick))
        runs = dict(tmu=forecast(tmu, frames), conv=forecast(conv, frames))
        times = alternate(runs, rounds)
        profile('a', dict(zip(('TMU forecast', 'ConvLSTM forecast'),
                              runs.values())))
        emit(line('(a) TMU forecast / ConvLSTM forecast', times, 'tmu',
                  'conv', 'test time, no teachers'))
    if 'tmu' in parts:
        with tempfile.TemporaryDirectory() as tmp_dir:
            sources = teachers(tmp_dir, quick)
            runs = dict(conv=training_step(conv, frames))
            for precision in ('float32', 'bfloat16'):
                cfg = model_cfg(TMU, quick)
                transfer = dict(type='MemoryTransfer', sources=sources,
                                beta=0.1)
                if precision != 'float32':
                    transfer['teacher_precision'] = precision
                cfg['transfer'] = transfer
                try:
                    student = build(cfg)
                except (TypeError, ValueError) as error:  # older code
                    emit(f'| (b) teachers {precision} | - | - | - | '
                         f'not supported here: {error} |')
                    continue
                student.transfer.setup(student, frames)
                runs[precision] = training_step(student, frames)
            times = alternate(runs, rounds)
            profile('b', {('ConvLSTM step' if key == 'conv' else
                           f'TMU step, {key} teachers'): run
                          for key, run in runs.items()})
            for precision in ('float32', 'bfloat16'):
                if precision in times:
                    emit(line(f'(b) TMU step, 2 teachers in {precision} / '
                              'ConvLSTM step', times, precision, 'conv',
                              'float32 student'))
    if 'bf16' in parts:
        for name, path in (('ConvLSTM', CONVLSTM), ('PredRNN', PREDRNN)):
            model = conv if name == 'ConvLSTM' else build(
                model_cfg(path, quick))
            runs = dict(fp32=training_step(model, frames),
                        bf16=training_step(model, frames, amp=True),
                        uncached=training_step(model, frames, amp=True,
                                               cache_enabled=False))
            times = alternate(runs, rounds)
            profile('c', {
                f'{name} step, float32': runs['fp32'],
                f'{name} step, bfloat16 autocast': runs['bf16'],
                f'{name} step, bfloat16 autocast, cache_enabled=False':
                runs['uncached']
            })
            errors = {
                cache: gradient_error(model, frames, cache)
                for cache in (True, False)
            }
            emit(line(f'(c) {name} step float32 / bfloat16 autocast', times,
                      'fp32', 'bf16', 'the speed-up of --amp; gradient '
                      f'error {errors[True]:.2g}'))
            emit(line(f'(c) {name} step float32 / bfloat16 autocast, '
                      'cache_enabled=False', times, 'fp32', 'uncached',
                      f'gradient error {errors[False]:.2g}'))
    if 'checkpoint' in parts:
        cfg = dict(conv_cfg, checkpoint_every=1)
        try:
            recomputing = build(cfg)
        except TypeError as error:  # older code
            emit(f'| (d) time-checkpointing | - | - | - | not supported '
                 f'here: {error} |')
            recomputing = None
    if 'checkpoint' in parts and recomputing is not None:
        plain = build(conv_cfg)
        held = held_activation_bytes(recomputing, frames)
        held_plain = held_activation_bytes(plain, frames)
        emit(f'| (d) ConvLSTM activation memory, checkpoint_every=1 / plain '
             f'| {held / 2**20:.1f} MiB | {held_plain / 2**20:.1f} MiB | '
             f'{held / held_plain:.2f}x | held for backward after the '
             'forward pass |')
        runs = dict(recompute=training_step(recomputing, frames),
                    plain=training_step(plain, frames))
        times = alternate(runs, rounds)
        profile('d', {'ConvLSTM step, checkpoint_every=1': runs['recompute'],
                      'ConvLSTM step, plain': runs['plain']})
        emit(line('(d) ConvLSTM step, checkpoint_every=1 / plain', times,
                  'recompute', 'plain', 'one more forward pass'))
    if profiles:  # after the ratios
        emit('')
        emit('| profiled run | convolution time | wall time (profiled) | '
             'convolution share |')
        emit('| --- | --- | --- | --- |')
        for text in profiles:
            emit(text)
    return lines


if __name__ == '__main__':
    main()
