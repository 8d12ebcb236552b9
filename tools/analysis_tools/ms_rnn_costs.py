"""Single-scale vs multi-scale (MS-RNN) cost of every cell.

For each cell at the MS-RNN setting (6 x 64, 3x3 kernels, 1x1 stem and head,
Moving MNIST: 20 frames of 64x64) it builds the single-scale stack and the
multi-scale pyramid and prints parameters, forward FLOPs per sequence,
training memory of one step (on CPU: the activations saved for backward plus
weights, gradients and Adam states; on a GPU also the peak allocated memory)
and optionally the time of one training step, next to MS-RNN Table 3.

Examples:
    python tools/analysis_tools/ms_rnn_costs.py --cells convlstm predrnn
    python tools/analysis_tools/ms_rnn_costs.py --time --batch-size 4
    python tools/analysis_tools/ms_rnn_costs.py --device cuda --time
"""
import argparse
import copy
import os.path as osp
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

from stpredict.models.cells.zoo import model_config_path, zoo_entries  # noqa
from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.complexity import BYTES_PER_GIB  # noqa: E402
from stpredict.utils.complexity import (count_flops, count_parameters,
                                        measure_training_memory,
                                        time_training_step)

#: MS-RNN Eq. 14: FLOPs reduction of a 6-layer mirror pyramid
THEORETICAL_FLOPS_REDUCTION = 0.5625


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cells', nargs='+', help='cell keys (default: all)')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--frame-size', type=int, default=64)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--no-flops', action='store_true')
    parser.add_argument('--no-memory', action='store_true')
    parser.add_argument('--time', action='store_true',
                        help='time one training step of each model')
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args()


def build(cfg: Config, multi_scale: bool, device: str):
    cfg = copy.deepcopy(cfg)
    if multi_scale:
        cfg.model.neck.type = 'MultiScalePyramid'
        cfg.model.neck.skip = 'unet'
    torch.manual_seed(0)
    return MODELS.build(cfg.model).to(device)


def reduction(single: float, multi: float) -> str:
    return f'{multi / single - 1:+.1%}'


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=False)
    header = ['model', 'params (M)']
    if not args.no_flops:
        header += ['GFLOPs/seq', 'FLOPs change', 'paper']
    if not args.no_memory:
        header += [f'memory b{args.batch_size} (GiB)', 'memory change',
                   'paper']
        if args.device.startswith('cuda'):
            header += ['CUDA peak (GiB)']
    if args.time:
        header += [f'train step b{args.batch_size} (s)', 'speed-up']
    rows = []
    for entry in zoo_entries(args.cells):
        cfg = Config.fromfile(
            osp.join(ROOT, model_config_path(entry.key, 'msrnn')))
        results = {}
        for multi in (False, True):
            model = build(cfg, multi, args.device)
            frames = model.data_preprocessor.patch(
                torch.rand(args.batch_size, model.total_frames,
                           model.in_channels, args.frame_size,
                           args.frame_size, device=args.device))
            result = dict(params=count_parameters(model))
            if not args.no_flops:
                result['flops'] = count_flops(model, frames[:1])
            if not args.no_memory:
                result['memory'] = measure_training_memory(model, frames)
            if args.time:
                result['time'] = time_training_step(model, frames, repeats=2)
            results[multi] = result
            del model
        for multi in (False, True):
            result, single = results[multi], results[False]
            name = ('MS-' if multi else '') + entry.name
            row = [name, f'{result["params"] / 1e6:.3f}']
            if not args.no_flops:
                paper = entry.msrnn_flops
                row += [f'{result["flops"] / 1e9:.1f}',
                        reduction(single['flops'], result['flops'])
                        if multi else '-',
                        (f'{paper[1]:.1f} ({reduction(*paper)})' if multi
                         else f'{paper[0]:.1f}') if paper else '-']
            if not args.no_memory:
                paper = entry.msrnn_memory
                memory, single_memory = result['memory'], single['memory']
                row += [f'{memory["total"] / BYTES_PER_GIB:.2f}',
                        reduction(single_memory['total'], memory['total'])
                        if multi else '-',
                        (f'{paper[1]:.2f}G ({reduction(*paper)})' if multi
                         else f'{paper[0]:.2f}G') if paper else '-']
                if 'cuda_peak' in memory:
                    row.append(f'{memory["cuda_peak"] / BYTES_PER_GIB:.2f}')
            if args.time:
                row += [f'{result["time"]:.2f}',
                        f'{single["time"] / result["time"]:.2f}x'
                        if multi else '-']
            rows.append(row)
            print(' | '.join(row), flush=True)
    print()
    print(f'Theoretical FLOPs change of the 6-layer pyramid (MS-RNN Eq. 14): '
          f'-{THEORETICAL_FLOPS_REDUCTION:.2%}')
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '|'.join(' --- ' for _ in header) + '|')
    for row in rows:
        print('| ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
