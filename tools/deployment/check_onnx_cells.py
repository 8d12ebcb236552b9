"""Try the ONNX export of every cell, single-scale and multi-scale.

Each cell of the zoo (the ``zoo`` metadata of the cells,
stpredict/models/cells/zoo.py; at the MS-RNN setting:
1x1 stem and head, 3x3 kernels, no patches) and the three TMU models (at
the PredRNN/TMU setting: 4x4 patches, no stem) is built small (8 hidden
channels, 3 -> 3 frames of 16 x 16, or 32 x 32 with patches) in a
SingleScaleStack and in a MultiScalePyramid, with random weights (the
initial ones plus Gaussian noise of std 0.2, so that the recurrent states
move; head bias 0.5 where there is one, so that most predicted pixels lie
inside [0, 1] rather than at the clip). It is exported with
stpredict.apis.export_onnx and run with onnxruntime on random frames
(batches of 1 and 3); the table gives the largest absolute difference to
PyTorch's forecast, or the reason the export failed. Beside it, the
difference between PyTorch's float32 and float64 forecasts shows how much
a recurrent model with such weights amplifies rounding over the steps (an
ONNX difference of that size is rounding, not a wrong graph).

Examples:
    python tools/deployment/check_onnx_cells.py
    python tools/deployment/check_onnx_cells.py --exporter dynamo
        --cells convlstm modernn --necks SingleScaleStack
"""
import argparse
import copy
import os.path as osp
import sys
import tempfile

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402

from stpredict.apis import init_forecaster  # noqa: E402
from stpredict.apis.onnx_export import EXPORTERS  # noqa: E402
from stpredict.apis.onnx_export import (ForecastGraph, compare_with_pytorch,
                                        export_onnx, onnx_session)
from stpredict.models.cells.zoo import model_config_path  # noqa: E402
from stpredict.models.cells.zoo import zoo_entries  # noqa: E402

#: The TMU models (PredRNN/TMU setting), besides the cells of the zoo.
TMU_MODELS = ('tmu_convlstm', 'tmu_predrnn', 'tmu_mim')
NECKS = ('SingleScaleStack', 'MultiScalePyramid')
#: Std of the noise added to the initial weights.
WEIGHT_NOISE = 0.2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('--exporter', choices=EXPORTERS,
                        default='torchscript')
    parser.add_argument(
        '--cells',
        nargs='+',
        help='cell keys of the zoo and TMU models (default: all): '
        + ' '.join([entry.key for entry in zoo_entries()] + list(TMU_MODELS)))
    parser.add_argument('--necks', nargs='+', choices=NECKS,
                        default=list(NECKS))
    parser.add_argument('--threads', type=int, default=1)
    return parser.parse_args()


def small_config(key: str, neck: str) -> Config:
    """The model config of ``key``, made small, in ``neck``."""
    tmu = key in TMU_MODELS
    path = osp.join(ROOT, model_config_path(key, 'predrnn' if tmu
                                            else 'msrnn'))
    cfg = Config.fromfile(path)
    model = cfg.model
    model.pop('transfer', None)
    model.input_frames = 3
    model.output_frames = 3
    if model.get('stem'):
        model.stem.out_channels = 8
    model.neck.hidden_channels = 8
    if tmu:  # 4 layers: 32 x 32 frames / 4x4 patches = 8 x 8
        model.neck.num_layers = 4
    model.neck.type = neck
    if neck == 'MultiScalePyramid':
        model.neck.skip = 'unet'
    else:
        model.neck.pop('skip', None)
    return cfg


def randomize(model: torch.nn.Module, seed: int = 0) -> None:
    """Initial weights plus noise; head bias 0.5 where there is one."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(
                torch.randn(parameter.shape, generator=generator) *
                WEIGHT_NOISE)
        bias = getattr(model.head, 'bias', None)
        if bias is not None:
            bias.fill_(0.5)


def check(key: str, neck: str, exporter: str, threads: int) -> dict:
    """Export one model and compare it with PyTorch."""
    cfg = small_config(key, neck)
    size = 32 if key in TMU_MODELS else 16
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the initial weights
        model = init_forecaster(cfg, None)
    randomize(model)
    row = dict(cells=' + '.join(sorted(set(
        type(cell).__name__ for cell in model.neck.cells))))
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'model.onnx')
        try:
            info = export_onnx(model, out, frame_size=(size, size),
                               exporter=exporter)
        except Exception as error:  # report, go on with the others
            row.update(ok=False, reason=str(error).splitlines()[0])
            return row
        session = onnx_session(out, threads)
        generator = np.random.default_rng(0)
        diffs, inside, float64 = [], [], []
        graph64 = ForecastGraph(copy.deepcopy(model).double())
        for batch in (1, 3):
            frames = generator.random(
                (batch, 3, model.in_channels, size, size), dtype=np.float32)
            diffs.append(compare_with_pytorch(model, session, frames))
            tensor = torch.from_numpy(frames)
            with torch.no_grad():
                pred = ForecastGraph(model)(tensor)
                pred64 = graph64(tensor.double())
            inside.append(float(((pred > 0) & (pred < 1)).float().mean()))
            float64.append(float((pred.double() - pred64).abs().max()))
    row.update(ok=True, seconds=info['seconds'], diff=max(diffs),
               inside=min(inside), float64=max(float64))
    return row


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    zoo_keys = [entry.key for entry in zoo_entries()]
    keys = args.cells or zoo_keys + list(TMU_MODELS)
    print(f'ONNX export, {args.exporter} exporter, torch '
          f'{torch.__version__}; max abs difference of onnxruntime to '
          'PyTorch over batches of 1 and 3\n')
    print('| model | cells | neck | exports | max abs diff | PyTorch float32 '
          'vs float64 | pixels inside (0, 1) | export s |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- |')
    for key in keys:
        for neck in args.necks:
            row = check(key, neck, args.exporter, args.threads)
            if row['ok']:
                print(f"| {key} | {row['cells']} | {neck} | yes | "
                      f"{row['diff']:.1e} | {row['float64']:.1e} | "
                      f"{row['inside']:.0%} | "
                      f"{row['seconds']:.1f} |", flush=True)
            else:
                print(f"| {key} | {row['cells']} | {neck} | no: "
                      f"{row['reason']} | - | - | - | - |", flush=True)


if __name__ == '__main__':
    main()
