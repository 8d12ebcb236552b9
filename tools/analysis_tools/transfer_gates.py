"""Average transfer gate per source and TMU layer of a trained target.

Loads the target's weights strictly (a checkpoint that does not fit
the model is refused), runs it over its test (or val) set from the
observed frames, as at test time (no source model is needed), and prints
the mean of every transfer gate a^m per TMU layer and source: how much each source's
distilled memory enters each layer (TMU Table 5).

Example:
    python tools/analysis_tools/transfer_gates.py \
        configs/tmu/tmu_convlstm_4x64_flying3digits-10to10.py CHECKPOINT
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from stpredict.apis import init_forecaster  # noqa: E402
from stpredict.engine.hooks import gate_table  # noqa: E402
from stpredict.utils.atomic_io import sha256_of_file  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config of the target model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--split', choices=['test', 'val'], default='test')
    parser.add_argument('--max-batches', type=int, default=None,
                        help='stop after this many batches')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the data loader config')
    return parser.parse_args()


def source_names(cfg: Config, num_sources: int) -> list:
    """Source names from the config's transfer entry, if it has one."""
    transfer = cfg.model.get('transfer') or {}
    names = [s.get('name') or osp.splitext(osp.basename(s['config']))[0]
             for s in transfer.get('sources', [])]
    return names if len(names) == num_sources else [
        f'source{i}' for i in range(num_sources)
    ]


def average_gates(model, loader, max_batches=None) -> dict:
    """Mean gate per ``gate_l<layer>_<source index>`` over the loader."""
    sums, count = {}, 0
    model.eval()
    with torch.no_grad():
        for index, batch in enumerate(loader):
            if max_batches is not None and index >= max_batches:
                break
            frames = model.data_preprocessor(batch)['inputs']
            observed = frames[:, :model.input_frames]
            _, aux_per_step = model.unroll(observed, model.total_frames - 1)
            for step_aux in aux_per_step:
                for layer, layer_aux in enumerate(step_aux):
                    gates = layer_aux.get('transfer_gates')
                    if gates is None:
                        continue
                    for source, value in enumerate(gates.tolist()):
                        key = (layer, source)
                        sums[key] = sums.get(key, 0.0) + value
            count += len(aux_per_step)
    if not sums:
        raise ValueError('The model has no transfer gates (no TMUCell or '
                         'MemoryTransferWrapper in its neck).')
    return {key: value / count for key, value in sums.items()}


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    # the target runs without its sources; its weights are loaded strictly
    # (a checkpoint of another model is refused, instead of giving the
    # uninformative ~0.5 gates of an untrained one)
    model = init_forecaster(args.config, args.checkpoint,
                            device=args.device)
    print(f'loaded {args.checkpoint} (sha256 '
          f'{sha256_of_file(args.checkpoint)}) strictly')
    loader_cfg = cfg.get(f'{args.split}_dataloader')
    loader = Runner.build_dataloader(loader_cfg)
    means = average_gates(model, loader, args.max_batches)
    num_sources = max(source for _, source in means) + 1
    names = source_names(cfg, num_sources)
    table = gate_table({f'gate_l{layer}_{names[source]}': value
                        for (layer, source), value in means.items()})
    print(f'mean transfer gate a^m on the {args.split} set '
          f'(TMU Table 5):\n{table}')


if __name__ == '__main__':
    main()
