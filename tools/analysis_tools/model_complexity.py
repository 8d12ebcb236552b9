"""Parameters, multiply-adds and training memory of one step, for any config.

The compute is counted in multiply-adds (MACs) by mmengine's FlopAnalyzer:
one fused multiply-add (about two floating-point operations) counts once,
over the convolutions and matrix products of every unrolled step; the
element-wise gate arithmetic is not counted. MS-RNN's tables call the same
count "FLOPs". A table splits parameters and MACs by module (``--depth``).

Examples:
    python tools/analysis_tools/model_complexity.py configs/_base_/models/convlstm_6x64_msrnn.py
    python tools/analysis_tools/model_complexity.py CONFIG --batch-size 4 --frame-size 64 64 --device cuda
    python tools/analysis_tools/model_complexity.py CONFIG --depth 4
"""  # noqa: E501
import argparse
import os.path as osp
import sys
from typing import Dict, List

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.complexity import (BYTES_PER_GIB,  # noqa: E402
                                        count_macs_by_module,
                                        count_parameters,
                                        measure_training_memory,
                                        time_training_step)
from stpredict.utils.text_table import format_table  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a config with a `model`')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument(
        '--frame-size', type=int, nargs=2, default=[64, 64],
        metavar=('H', 'W'), help='frame size before patching')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--time', action='store_true', help='also time a training step')
    parser.add_argument(
        '--params-only', action='store_true',
        help='only count parameters (at test time and with teachers)')
    parser.add_argument(
        '--depth', type=int, default=3,
        help='deepest module level of the per-module table (1: the '
        'top-level modules; 0: no table; default: 3)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def build_model_and_frames(cfg: Config, batch_size: int, height: int,
                           width: int, device: str):
    """The model of a config and random patched frames of one window."""
    register_all_modules(init_default_scope=False)
    model = MODELS.build(cfg.model).to(device)
    frames = torch.rand(batch_size, model.total_frames, model.in_channels,
                        height, width, device=device)
    return model, model.data_preprocessor.patch(frames)


def module_rows(model: torch.nn.Module, macs: Dict[str, int],
                depth: int) -> List[List[str]]:
    """Rows ``[module, type, parameters, MACs, share]`` of the per-module
    table, down to ``depth`` levels, in the order of ``named_modules``.

    Modules without parameters and without MACs are left out; the first
    row is the whole model.
    """
    total = max(macs.get('', 0), 1)
    rows = []
    for name, module in model.named_modules():
        level = 0 if not name else name.count('.') + 1
        if level > depth:
            continue
        params = sum(p.numel() for p in module.parameters())
        count = macs.get(name, 0)
        if name and not params and not count:
            continue
        rows.append([
            name or '(model)',
            type(module).__name__,
            f'{params / 1e6:.4f} M',
            f'{count / 1e9:.3f} G',
            f'{100 * count / total:.1f} %',
        ])
    return rows


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    height, width = args.frame_size
    model, frames = build_model_and_frames(cfg, args.batch_size, height,
                                           width, args.device)
    params = count_parameters(model)
    transfer_params = sum(
        p.numel() for p in model.transfer.parameters()) if getattr(
            model, 'transfer', None) is not None else 0
    print(f'config:      {args.config}')
    print(f'parameters:  {(params - transfer_params) / 1e6:.3f} M at test '
          'time')
    if transfer_params:
        print(f'             {params / 1e6:.3f} M trained (with '
              f'{transfer_params / 1e6:.3f} M of the transfer method)')
    for source in getattr(model.transfer, 'sources', []) or []:
        teacher = count_parameters(source.build())
        print(f'teacher:     {source.name}: {teacher / 1e6:.3f} M (frozen, '
              'training only)')
    teachers = sum(count_parameters(s.build())
                   for s in getattr(model.transfer, 'sources', []) or [])
    if teachers:
        print(f'             {(params + teachers) / 1e6:.3f} M in training '
              'with the teachers')
    if args.params_only:
        return
    macs, by_operator = count_macs_by_module(model, frames[:1])
    memory = measure_training_memory(model, frames)
    print(f'input:       batch {args.batch_size}, {model.total_frames} '
          f'frames of {model.in_channels}x{height}x{width}')
    operators = ', '.join(f'{name} {count / 1e9:.3f} G'
                          for name, count in by_operator.items())
    print(f'MACs:        {macs[""] / 1e9:.3f} G multiply-adds per sequence '
          f'(forward, {model.total_frames - 1} steps; {operators}; one MAC '
          'is one fused multiply-add, about 2 FLOPs)')
    activations = memory['activations'] / BYTES_PER_GIB
    print(f'memory:      {memory["total"] / BYTES_PER_GIB:.3f} GiB per '
          f'training step (activations {activations:.3f} GiB saved for '
          'backward + weights, grads, Adam states)')
    if 'cuda_peak' in memory:
        print(f'CUDA peak:   {memory["cuda_peak"] / BYTES_PER_GIB:.3f} GiB')
    if args.time:
        seconds = time_training_step(model, frames)
        print(f'train step:  {seconds:.3f} s ({args.device})')
    if args.depth > 0:
        print('\nper module (parameters; MACs per sequence, all steps):')
        print(format_table(
            ['module', 'type', 'parameters', 'MACs', 'share'],
            module_rows(model, macs, args.depth), right_align=(2, 3, 4)))


if __name__ == '__main__':
    main()
