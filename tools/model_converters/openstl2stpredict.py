"""Convert an OpenSTL checkpoint (ConvLSTM, PredRNN, PredRNN-V2) to stpredict.

Reads OpenSTL's plain state_dict (.pth, as its model zoo publishes) or a
Lightning .ckpt (weights under 'model.'), with stpredict's safe loader, and
writes OUT_DIR/NAME.py (a stpredict config) and OUT_DIR/NAME.pth (+ .sha256)
that tools/test.py, tools/infer.py and init_forecaster load. Hyperparameters
go by their OpenSTL names, as flags or in a file (--hparams: JSON or
OpenSTL's method config .py), over those a Lightning .ckpt keeps; what the
weights show (method, num_hidden, filter_size, patch_size**2 * C) may be
left out. Models without an exact
conversion (layer_norm=1, PredRNN++, MIM, E3D-LSTM, MAU, ...) are refused
with the reason. See docs/converting.md.

Examples:
    python tools/model_converters/openstl2stpredict.py \
        openstl_predrnn.pth work_dirs/converted \
        --patch-size 4 --in-shape 10,1,64,64 --aft-seq-length 10
    python tools/model_converters/openstl2stpredict.py \
        epoch=199.ckpt work_dirs/converted \
        --hparams OpenSTL/configs/mmnist/PredRNNv2.py \
        --in-shape 10,1,64,64 --aft-seq-length 10 \
        --data-config configs/_base_/datasets/moving_mnist.py
"""
import argparse
import os.path as osp
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

from stpredict.apis.convert_openstl import (HPARAM_NAMES, METHOD_NAMES,
                                            OpenSTLConversionError,
                                            compare_with_openstl,
                                            convert_openstl,
                                            load_openstl_hparams)
from stpredict.utils.checkpoint import CheckpointError

#: The runtime settings (hooks, logging) the written config takes.
DEFAULT_RUNTIME = osp.join(ROOT, 'configs', '_base_', 'default_runtime.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument('checkpoint', help="OpenSTL's .pth or .ckpt")
    parser.add_argument('out_dir', help='folder for NAME.py and NAME.pth')
    parser.add_argument(
        '--hparams',
        help='OpenSTL hyperparameters: a JSON object or OpenSTL\'s method '
        'config (.py); the flags below override it')
    group = parser.add_argument_group(
        'OpenSTL hyperparameters (OpenSTL\'s names; dashes or underscores)')
    group.add_argument('--method', help='ConvLSTM, PredRNN or PredRNNv2 '
                       '(default: read from the weights)')
    group.add_argument('--num-hidden', '--num_hidden',
                       help="e.g. '64,64,64,64' (default: from the weights)")
    group.add_argument('--filter-size', '--filter_size', type=int,
                       help='gate kernel (default: from the weights)')
    group.add_argument('--stride', type=int, help='must be 1')
    group.add_argument('--patch-size', '--patch_size', type=int,
                       help='patch side (or give --in-shape)')
    group.add_argument('--layer-norm', '--layer_norm', type=int,
                       help='must be 0')
    group.add_argument(
        '--in-shape', '--in_shape', nargs='+',
        help="T,C,H,W of the observed frames, e.g. '10,1,64,64' or "
        '10 1 64 64')
    group.add_argument('--pre-seq-length', '--pre_seq_length', type=int,
                       help='observed frames (default: in_shape[0])')
    group.add_argument('--aft-seq-length', '--aft_seq_length', type=int,
                       help='predicted frames (required)')
    group.add_argument('--decouple-beta', '--decouple_beta', type=float,
                       help="PredRNN-V2's decoupling loss weight (for "
                       'further training; default 0.1 as in OpenSTL)')
    parser.add_argument('--name', help='file stem of the written files')
    parser.add_argument(
        '--data-config',
        help='a stpredict config whose test (and val/train) data the '
        'written config takes, e.g. configs/_base_/datasets/moving_mnist.py '
        '(default: synthetic flying digits for gray square frames)')
    parser.add_argument(
        '--compare',
        metavar='IO_FILE',
        help="a torch.save'd dict of OpenSTL's input 'frames' [B, T, C, H, "
        "W] and its 'forecast' [B, T_out, C, H, W]: print the largest "
        'difference of the converted forecast to it and fail above '
        '--tolerance')
    parser.add_argument(
        '--tolerance', type=float, default=1e-5,
        help='largest difference --compare accepts (default: 1e-5)')
    parser.add_argument(
        '--no-check', action='store_true',
        help='skip loading the written files and forecasting once')
    return parser.parse_args()


def collect_hparams(args: argparse.Namespace) -> dict:
    """The file's hyperparameters, overridden by the flags given."""
    hparams = load_openstl_hparams(args.hparams) if args.hparams else {}
    for name in HPARAM_NAMES:
        value = getattr(args, name, None)
        if value is None:
            continue
        if name == 'in_shape':
            value = ','.join(value)
        hparams[name] = value
    return hparams


def main() -> None:
    args = parse_args()
    try:
        result = convert_openstl(
            args.checkpoint,
            args.out_dir,
            collect_hparams(args),
            name=args.name,
            runtime_config=DEFAULT_RUNTIME
            if osp.isfile(DEFAULT_RUNTIME) else None,
            data_config=args.data_config,
            check_forecast=not args.no_check)
        difference = compare_with_openstl(
            result['config'], result['checkpoint'],
            args.compare) if args.compare else None
    except (OpenSTLConversionError, CheckpointError,
            FileNotFoundError) as error:
        sys.exit(f'error: {type(error).__name__}: {error}')
    model = result['model']
    print(f'OpenSTL {METHOD_NAMES[model.method]}: {len(model.num_hidden)} '
          f'layers of {list(model.num_hidden)} channels, '
          f'{model.filter_size}x{model.filter_size} kernels, patch '
          f'{model.patch_size}, {model.in_channels} channel(s), '
          f'{model.pre_seq_length} -> {model.aft_seq_length} frames')
    if result['stored_hparams']:
        print("from the checkpoint's hyper_parameters: "
              + ', '.join(result['stored_hparams']))
    if result['dropped']:
        print('dropped (never used by OpenSTL\'s forward pass): '
              + ', '.join(result['dropped']))
    print(f'config:     {result["config"]}')
    print(f'checkpoint: {result["checkpoint"]}')
    if result['has_test_data']:
        print('test:       python tools/test.py '
              f'{result["config"]} {result["checkpoint"]}')
    else:
        print('test:       needs a test set: convert again with '
              '--data-config configs/_base_/datasets/<dataset>.py')
    print('forecast:   python tools/infer.py '
          f'{result["config"]} {result["checkpoint"]} --input FRAMES '
          '--out OUT')
    if difference is not None:
        print('largest difference to OpenSTL\'s forecast (clamped to '
              f'[0, 1]): {difference:.3g}')
        if difference > args.tolerance:
            sys.exit(f'error: the converted model does not forecast as '
                     f'OpenSTL did (difference {difference:.3g} > '
                     f'--tolerance {args.tolerance:g}).')


if __name__ == '__main__':
    main()
