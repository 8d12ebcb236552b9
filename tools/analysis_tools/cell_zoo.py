"""Parameters, FLOPs and CPU speed of every cell of the zoo.

At the MS-RNN setting (6 x 64, 3x3 kernels, 1x1 stem and head, Moving MNIST
64x64, 10 -> 10) the parameter counts are compared with MS-RNN Table 3/6.

Examples:
    python tools/analysis_tools/cell_zoo.py  # parameters only
    python tools/analysis_tools/cell_zoo.py --flops --time  # everything
    python tools/analysis_tools/cell_zoo.py --setting predrnn \
        --cells convlstm predrnn
"""
import argparse
import os.path as osp
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

from stpredict.models.cells.zoo import model_config_path, zoo_entries  # noqa
from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.complexity import count_flops  # noqa: E402
from stpredict.utils.complexity import (count_parameters, time_prediction,
                                        time_training_step)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--setting', default='msrnn',
                        choices=['msrnn', 'predrnn'])
    parser.add_argument('--cells', nargs='+', help='cell keys (default: all)')
    parser.add_argument('--flops', action='store_true',
                        help='count forward FLOPs per sequence')
    parser.add_argument('--time', action='store_true',
                        help='time a training step and a prediction')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--threads', type=int, default=None)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=False)
    header = ['cell', 'params (M)']
    if args.setting == 'msrnn':
        header += ['paper (M)', 'diff']
    if args.flops:
        header += ['GFLOPs/seq']
    if args.time:
        header += [f'train step b{args.batch_size} (s)', 'predict (s/seq)']
    rows = []
    for entry in zoo_entries(args.cells):
        cfg = Config.fromfile(osp.join(ROOT,
                                       model_config_path(entry.key,
                                                         args.setting)))
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        params = count_parameters(model)
        row = [entry.name, f'{params / 1e6:.3f}']
        if args.setting == 'msrnn':
            if entry.msrnn_params:
                diff = params / (entry.msrnn_params * 1e6) - 1
                row += [f'{entry.msrnn_params:.2f}', f'{diff:+.1%}']
            else:
                row += ['-', '-']
        frames = model.data_preprocessor.patch(
            torch.rand(args.batch_size, model.total_frames,
                       model.in_channels, 64, 64))
        if args.flops:
            row.append(f'{count_flops(model, frames[:1]) / 1e9:.1f}')
        if args.time:
            step = time_training_step(model, frames, repeats=2)
            predict = time_prediction(model, frames, repeats=2)
            row += [f'{step:.2f}', f'{predict / args.batch_size:.3f}']
        rows.append(row)
        print(' | '.join(row), flush=True)
    print()
    print_table(header, rows)


def print_table(header, rows) -> None:
    """Print a Markdown table."""
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '|'.join(' --- ' for _ in header) + '|')
    for row in rows:
        print('| ' + ' | '.join(row) + ' |')


if __name__ == '__main__':
    main()
