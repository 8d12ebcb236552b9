"""Export a transfer-trained target model that runs without its sources.

Writes OUT_DIR/<name>.pth (weights only, no teacher, no transfer modules)
and OUT_DIR/<name>.py (the config without its `transfer` entry), and checks
that the exported model predicts exactly as the trained one.

Example:
    python tools/model_converters/export_target.py \
        configs/tmu/tmu_convlstm_4x64_flying3digits-10to10.py \
        work_dirs/tmu_convlstm_4x64_flying3digits-10to10/best_mse_per_frame_iter_80000.pth \
        work_dirs/exported
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.runner.checkpoint import load_checkpoint  # noqa: E402

from stpredict.apis import export_target  # noqa: E402
from stpredict.registry import MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='training config of the target')
    parser.add_argument('checkpoint', help='checkpoint of the target')
    parser.add_argument('out_dir', help='folder for the exported files')
    parser.add_argument('--name', help='file stem of the exported files')
    parser.add_argument('--no-verify', action='store_true',
                        help='skip the prediction check')
    return parser.parse_args()


def verify(config: str, checkpoint: str, exported_config: str,
           exported_checkpoint: str) -> float:
    """Largest difference between the two models' forecasts."""
    trained = MODELS.build(Config.fromfile(config).model)
    load_checkpoint(trained, checkpoint, map_location='cpu', logger='silent')
    exported = MODELS.build(Config.fromfile(exported_config).model)
    load_checkpoint(exported, exported_checkpoint, map_location='cpu',
                    strict=True, logger='silent')
    torch.manual_seed(0)
    frames = torch.rand(2, trained.total_frames, trained.in_channels, 64, 64)
    frames = trained.data_preprocessor.patch(frames)
    with torch.no_grad():
        a = trained.eval()(frames, mode='tensor')
        b = exported.eval()(frames, mode='tensor')
    return float((a - b).abs().max())


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    ckpt, cfg = export_target(args.config, args.checkpoint, args.out_dir,
                              args.name)
    print(f'exported checkpoint: {ckpt}')
    print(f'exported config:     {cfg}')
    if not args.no_verify:
        diff = verify(args.config, args.checkpoint, cfg, ckpt)
        print(f'largest forecast difference, trained vs exported: {diff:.3g}')
        if diff != 0.0:
            sys.exit('The exported model does not predict like the trained '
                     'one.')


if __name__ == '__main__':
    main()
