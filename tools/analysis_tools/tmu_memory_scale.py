"""How large the memory of a ConvLSTM / TMU network is, at init or trained.

Runs each config's model (with a checkpoint, or freshly initialised) over
validation sequences from the observed frames, as at test time, and prints
per layer the mean |C| at every step's end and at the last step, the share
of memory units past |C| > 2 (where tanh saturates), and the frame loss of
a training unroll (observed frames, then the model's own predictions; no
sources). It shows why the plain
initialisation of TMU Eq. 5 lets the memory grow (docs/transfer_learning.md)
and how large the trained models' memories are.

Example:
    python tools/analysis_tools/tmu_memory_scale.py \\
        configs/tmu/scratch_convlstm_2x32_flying3digits-10to10_cpu.py \\
        configs/tmu/tmu_convlstm_2x32_flying3digits-10to10_cpu_plaininit.py \\
        configs/tmu/tmu_convlstm_2x32_flying3digits-10to10_cpu.py
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from stpredict.apis import init_forecaster, strip_transfer  # noqa: E402
from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='+', help='model configs')
    parser.add_argument('--checkpoints', nargs='+', default=None,
                        help='one checkpoint per config (default: fresh '
                        'models with --seed)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--batches', type=int, default=2,
                        help='validation batches to average over')
    return parser.parse_args()


def memory_statistics(model: torch.nn.Module, frames: torch.Tensor) -> dict:
    """Per-layer memory size over the unroll and the teacher-forced loss."""
    steps = model.total_frames - 1
    state, pred = None, None
    means: Dict[int, List[float]] = {}
    saturated: Dict[int, float] = {}
    with torch.no_grad():
        for step in range(steps):
            x = model.step_input(step, frames, pred, None)
            pred, state, _ = model.forward_step(x, state)
            for layer, layer_state in enumerate(state['layers']):
                memory = layer_state.get('c')
                if memory is None:
                    continue
                means.setdefault(layer, []).append(
                    float(memory.abs().mean()))
                saturated[layer] = float((memory.abs() > 2).float().mean())
        loss = float(model(frames, mode='loss')['loss_frame'])
    return dict(means=means, saturated=saturated, loss=loss)


def build(config: str, checkpoint: Optional[str], seed: int):
    if checkpoint:
        return init_forecaster(config, checkpoint, device='cpu')
    torch.manual_seed(seed)
    cfg = strip_transfer(Config.fromfile(config))
    model = MODELS.build(cfg.model)
    model.eval()
    return model


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=True)
    checkpoints = args.checkpoints or [None] * len(args.configs)
    if len(checkpoints) != len(args.configs):
        sys.exit('Give one checkpoint per config (or none).')
    loader_cfg = Config.fromfile(args.configs[0]).val_dataloader
    loader_cfg.num_workers = 0
    loader_cfg.persistent_workers = False
    loader = Runner.build_dataloader(loader_cfg)
    print('| model | layer | mean abs(C) at steps 1 / 10 / last | '
          'share abs(C) > 2 (last step) | frame loss |')
    print('| --- | --- | --- | --- | --- |')
    for config, checkpoint in zip(args.configs, checkpoints):
        model = build(config, checkpoint, args.seed)
        totals: List[dict] = []
        for index, batch in enumerate(loader):
            if index >= args.batches:
                break
            frames = model.data_preprocessor(batch)['inputs']
            model.eval()
            totals.append(memory_statistics(model, frames))
        name = osp.splitext(osp.basename(config))[0]
        if checkpoint:
            name += ' (trained)'
        loss = sum(t['loss'] for t in totals) / len(totals)
        for layer in sorted(totals[0]['means']):
            curve = [sum(t['means'][layer][s] for t in totals) / len(totals)
                     for s in range(len(totals[0]['means'][layer]))]
            sat = sum(t['saturated'][layer] for t in totals) / len(totals)
            print(f'| {name} | {layer} | {curve[0]:.3f} / '
                  f'{curve[min(9, len(curve) - 1)]:.3f} / {curve[-1]:.3f} | '
                  f'{sat:.1%} | {loss:.0f} |')


if __name__ == '__main__':
    main()
