"""Parameters, FLOPs and training memory of one step, for any config.

Examples:
    python tools/analysis_tools/model_complexity.py configs/_base_/models/convlstm_6x64_msrnn.py
    python tools/analysis_tools/model_complexity.py CONFIG --batch-size 4 --frame-size 64 64 --device cuda
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.complexity import (BYTES_PER_GIB,  # noqa: E402
                                        count_flops, count_parameters,
                                        measure_training_memory,
                                        time_training_step)


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
    flops = count_flops(model, frames[:1])
    memory = measure_training_memory(model, frames)
    print(f'input:       batch {args.batch_size}, {model.total_frames} '
          f'frames of {model.in_channels}x{height}x{width}')
    print(f'FLOPs:       {flops / 1e9:.2f} G per sequence (forward, '
          f'{model.total_frames - 1} steps)')
    activations = memory['activations'] / BYTES_PER_GIB
    print(f'memory:      {memory["total"] / BYTES_PER_GIB:.3f} GiB per '
          f'training step (activations {activations:.3f} GiB saved for '
          'backward + weights, grads, Adam states)')
    if 'cuda_peak' in memory:
        print(f'CUDA peak:   {memory["cuda_peak"] / BYTES_PER_GIB:.3f} GiB')
    if args.time:
        seconds = time_training_step(model, frames)
        print(f'train step:  {seconds:.3f} s ({args.device})')


if __name__ == '__main__':
    main()
