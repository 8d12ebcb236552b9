"""Export a trained stpredict model to ONNX: observed frames in, forecast out.

The graph is the model's test-time forecast with the time loop unrolled:
input ``frames`` float32 [B, T_in, C, H, W] in [0, 1] (uint8 frames divided
by 255), output ``forecast`` float32 [B, T_out, C, H, W] in [0, 1]; B is
dynamic. See docs/exporting.md.

Examples:
    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out model.onnx
    python tools/deployment/export_onnx.py zoo:NAME --out model.onnx --verify
    python tools/deployment/export_onnx.py zoo:NAME --out model.onnx
        --verify --benchmark 20 --threads 1
    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --exporter dynamo
"""
import argparse
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402

from stpredict.apis import (init_forecaster, is_zoo_name,  # noqa: E402
                            resolve_model_files)
from stpredict.apis.onnx_export import EXPORTERS  # noqa: E402
from stpredict.apis.onnx_export import (ForecastGraph, compare_with_pytorch,
                                        export_onnx, onnx_forecast,
                                        onnx_session)
from stpredict.utils.run_files import check_checkpoint  # noqa: E402

#: The largest difference to PyTorch that --verify accepts.
VERIFY_TOLERANCE = 1e-4


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a trained stpredict model to ONNX',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        'config',
        help='config the model was trained with, or zoo:NAME alone (a model '
        'of docs/model_zoo.md with the config of its entry)')
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint file, or zoo:NAME')
    parser.add_argument(
        '--out',
        default='model.onnx',
        help='the ONNX file to write (default: model.onnx)')
    parser.add_argument(
        '--opset',
        type=int,
        help='ONNX opset version (default: 17 with the torchscript '
        'exporter, the exporter\'s own with dynamo)')
    parser.add_argument(
        '--exporter',
        choices=EXPORTERS,
        default='torchscript',
        help='torch.onnx.export\'s tracing exporter (default; needs onnx) '
        'or the torch.export-based one (dynamo; also needs onnxscript, '
        'exports 15-25x slower)')
    parser.add_argument(
        '--frame-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='frame height and width (default: the image_size of the '
        'config\'s dataset)')
    parser.add_argument(
        '--static-batch',
        action='store_true',
        help='fix the batch size to 1 (default: dynamic)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='run the ONNX model with onnxruntime and PyTorch on random '
        f'frames (batches of 1 and 3) and fail above {VERIFY_TOLERANCE:g} '
        'max abs difference')
    parser.add_argument(
        '--benchmark',
        type=int,
        default=0,
        metavar='N',
        help='time N forecasts of one sequence with onnxruntime and with '
        'PyTorch (median ms)')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='CPU threads of PyTorch and onnxruntime for --verify and '
        '--benchmark (default: 1)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    return parser.parse_args()


def median_ms(run, repeats: int) -> float:
    """Median wall time of ``run()`` in milliseconds (after one warm-up)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main() -> None:
    args = parse_args()
    if args.checkpoint is None and not is_zoo_name(args.config):
        raise ValueError(
            'No checkpoint given: give CONFIG CHECKPOINT, or zoo:NAME alone '
            '(docs/model_zoo.md lists the models).')
    config, checkpoint = resolve_model_files(args.config, args.checkpoint)
    check_checkpoint(checkpoint)
    if args.threads < 1 or args.benchmark < 0:
        raise ValueError('--threads must be >= 1 and --benchmark >= 0.')
    torch.set_num_threads(args.threads)
    model = init_forecaster(config, checkpoint, cfg_options=args.cfg_options)
    info = export_onnx(
        model,
        args.out,
        frame_size=args.frame_size,
        exporter=args.exporter,
        opset=args.opset,
        dynamic_batch=not args.static_batch,
        metadata=dict(config=osp.basename(config),
                      checkpoint=args.checkpoint or args.config))
    print(f'Exported {osp.basename(config)} ({args.exporter} exporter, '
          f'opset {info["opset"]}) to {args.out} in {info["seconds"]:.1f} s: '
          f'frames {info["input_shape"]} -> forecast '
          f'{info["output_shape"]}')
    if not (args.verify or args.benchmark):
        return
    session = onnx_session(args.out, args.threads)
    shape = info['input_shape'][1:]
    generator = np.random.default_rng(0)
    if args.verify:
        batches = (1, ) if args.static_batch else (1, 3)
        worst = max(
            compare_with_pytorch(
                model, session,
                generator.random((batch, ) + shape, dtype=np.float32))
            for batch in batches)
        print(f'onnxruntime vs PyTorch on random frames (batches '
              f'{list(batches)}): max abs difference {worst:.2e}')
        if not worst <= VERIFY_TOLERANCE:
            raise RuntimeError(
                f'The ONNX forecast differs from PyTorch\'s by {worst:.2e} '
                f'(more than {VERIFY_TOLERANCE:g}). Try the other exporter '
                '(--exporter) or another --opset.')
    if args.benchmark:
        frames = generator.random((1, ) + shape, dtype=np.float32)
        graph = ForecastGraph(model).eval()
        tensor = torch.from_numpy(frames)

        def pytorch_forecast():
            with torch.no_grad():
                graph(tensor)

        onnx_ms = median_ms(lambda: onnx_forecast(session, frames),
                            args.benchmark)
        torch_ms = median_ms(pytorch_forecast, args.benchmark)
        print(f'Forecast of one sequence ({args.threads} thread(s), median '
              f'of {args.benchmark}): onnxruntime {onnx_ms:.1f} ms, PyTorch '
              f'{torch_ms:.1f} ms ({torch_ms / onnx_ms:.2f}x)')


if __name__ == '__main__':
    main()
