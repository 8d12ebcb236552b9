"""Forecast the next frames of a sequence with a trained stpredict model.

Reads the observed frames (a .npy array, a folder of images or a video),
writes the predicted frames (pred_00.png, ... or pred.npy) and forecast.gif
(the observed frames, then the predicted ones in a red frame). A .npy batch
(B, T, ...) gets one sub-folder per sequence (seq_000, seq_001, ...).

The model is a config and a checkpoint, or a model of the zoo
(docs/model_zoo.md) by name: zoo:NAME alone takes the config of its entry.

Examples:
    python tools/infer.py CONFIG CHECKPOINT --input frames/ --out forecast
    python tools/infer.py zoo:convlstm_2x32_flying2digits-10to10_cpu
        --input frames.npy --out forecast
    python tools/infer.py CONFIG CHECKPOINT --input clip.avi --out forecast
    python tools/infer.py CONFIG CHECKPOINT --input batch.npy --out forecast
        --format npy --device cuda:0 --batch-size 16
    python tools/infer.py CONFIG CHECKPOINT --input frames/ --out forecast
        --output-frames 20
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from PIL import Image  # noqa: E402

from stpredict.apis import (forecast, init_forecaster,  # noqa: E402
                            is_zoo_name, observed_frames, resolve_model_files,
                            to_layout)
from stpredict.utils.run_files import check_checkpoint  # noqa: E402
from stpredict.visualization.frame_grid import frames_to_rgb  # noqa: E402

#: Border colours of the GIF frames.
OBSERVED_COLOR = (96, 96, 96)
PREDICTED_COLOR = (255, 0, 0)
PROGRESS_COLOR = (255, 255, 255)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Forecast frames with a trained stpredict model',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split('\n\n', 1)[1])
    parser.add_argument(
        'config',
        help='config the model was trained with, or zoo:NAME alone (a model '
        'of docs/model_zoo.md with the config of its entry)')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file, or zoo:NAME (checked against the sha256 of '
        'the zoo)')
    parser.add_argument(
        '--input',
        required=True,
        help='the observed frames: a .npy array (T, H, W), (T, H, W, C), '
        '(T, C, H, W) or a batch (B, T, ...); a folder of images (sorted by '
        'name); or a video file')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--format',
        choices=['png', 'npy'],
        default='png',
        help='predicted frames as PNG images pred_00.png, ... or as one '
        'pred.npy in the layout and dtype of the input (default: png)')
    parser.add_argument(
        '--gif',
        action=argparse.BooleanOptionalAction,
        default=True,
        help='write forecast.gif: observed then predicted frames (default: '
        'yes)')
    parser.add_argument(
        '--fps', type=float, default=4.0, help='frames per second of the GIF')
    parser.add_argument(
        '--gif-scale',
        type=int,
        default=1,
        help='enlarge the GIF frames this many times (nearest neighbour)')
    parser.add_argument(
        '--device', default='cpu', help='e.g. cpu, cuda, cuda:1')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=None,
        help='sequences per forward pass (default: all at once)')
    parser.add_argument(
        '--layout',
        choices=['THW', 'THWC', 'TCHW', 'BTHW', 'BTHWC', 'BTCHW'],
        default='THWC',
        help='layout of a .npy input (default: THWC, one sequence with '
        'channels last; image folders and videos are always THWC)')
    parser.add_argument(
        '--take',
        choices=['first', 'last'],
        default='first',
        help='with more than T_in frames, observe the first or the last '
        'T_in (default: first)')
    parser.add_argument(
        '--output-frames',
        type=int,
        metavar='N',
        help='forecast N frames instead of the T_out the model was trained '
        'for (more frames: the model keeps feeding on its own predictions)')
    parser.add_argument(
        '--keep-transfer',
        action='store_true',
        help='keep the transfer method of a transfer-trained config (needs '
        'its source checkpoints); by default it is dropped')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config')
    return parser.parse_args()


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """uint8 frames as they are; float frames in [0, 1] to 0-255."""
    if frames.dtype == np.uint8:
        return frames
    return (np.clip(frames, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def to_image(frame: np.ndarray) -> Image.Image:
    """One uint8 frame ``[C, H, W]`` as a gray or RGB image (other channel
    counts show their first channel)."""
    if frame.shape[0] == 3:
        return Image.fromarray(np.ascontiguousarray(frame.transpose(1, 2, 0)))
    return Image.fromarray(frame[0])


def gif_frames(observed: np.ndarray, predicted: np.ndarray,
               scale: int = 1) -> list:
    """RGB frames of the GIF: observed frames in a gray border, predicted
    ones in a red border; a white bar in the bottom border shows how far the
    sequence has run (and keeps every frame distinct).

    Args:
        observed (np.ndarray): uint8 ``[T_in, C, H, W]``.
        predicted (np.ndarray): uint8 ``[T_out, C, H, W]``.
        scale (int): Enlargement factor. Defaults to 1.

    Returns:
        list[PIL.Image.Image]: ``T_in + T_out`` images of size
        ``(W * scale + 4, H * scale + 4)``.
    """
    frames = np.concatenate([observed, predicted])
    rgb = frames_to_rgb(torch.from_numpy(frames).float() / 255.0)
    if scale > 1:
        rgb = rgb.repeat(scale, axis=1).repeat(scale, axis=2)
    border = 2
    total = len(rgb)
    images = []
    for index, frame in enumerate(rgb):
        height, width = frame.shape[:2]
        color = OBSERVED_COLOR if index < len(observed) else PREDICTED_COLOR
        canvas = np.empty((height + 2 * border, width + 2 * border, 3),
                          np.uint8)
        canvas[:] = color
        canvas[border:border + height, border:border + width] = frame
        progress = round((index + 1) / total * canvas.shape[1])
        canvas[-border:, :progress] = PROGRESS_COLOR
        images.append(Image.fromarray(canvas))
    return images


def write_sequence(out_dir: str, observed: np.ndarray, predicted: np.ndarray,
                   predicted_in_layout: np.ndarray, args) -> None:
    """Write the files of one sequence.

    Args:
        out_dir (str): Output folder.
        observed (np.ndarray): ``[T_in, C, H, W]`` as fed to the model.
        predicted (np.ndarray): ``[T_out, C, H, W]``.
        predicted_in_layout (np.ndarray): The same in the input's layout.
        args: The command-line arguments.
    """
    os.makedirs(out_dir, exist_ok=True)
    predicted_uint8 = to_uint8(predicted)
    if args.format == 'npy':
        np.save(osp.join(out_dir, 'pred.npy'), predicted_in_layout)
    else:
        digits = max(2, len(str(len(predicted) - 1)))
        for index, frame in enumerate(predicted_uint8):
            to_image(frame).save(
                osp.join(out_dir, f'pred_{index:0{digits}d}.png'))
    if args.gif:
        images = gif_frames(
            to_uint8(observed), predicted_uint8, scale=args.gif_scale)
        images[0].save(
            osp.join(out_dir, 'forecast.gif'),
            save_all=True,
            append_images=images[1:],
            duration=round(1000.0 / args.fps),
            loop=0)


def main() -> None:
    args = parse_args()
    if args.checkpoint is None and not is_zoo_name(args.config):
        raise ValueError(
            'No checkpoint given: give CONFIG CHECKPOINT, or zoo:NAME alone '
            '(docs/model_zoo.md lists the models).')
    config, checkpoint = resolve_model_files(args.config, args.checkpoint)
    check_checkpoint(checkpoint)
    if not osp.exists(args.input):
        raise FileNotFoundError(
            f'Input "{args.input}" does not exist. Give a .npy array, a '
            'folder of frame images or a video file.')
    if args.fps <= 0 or args.gif_scale < 1:
        raise ValueError('--fps must be > 0 and --gif-scale >= 1.')
    if args.output_frames is not None and args.output_frames < 1:
        raise ValueError(
            f'--output-frames must be at least 1, got {args.output_frames}.')
    model = init_forecaster(
        config,
        checkpoint,
        device=args.device,
        cfg_options=args.cfg_options,
        keep_transfer=args.keep_transfer)
    observed, layout = observed_frames(
        model, args.input, layout=args.layout, take=args.take)
    predicted = forecast(
        model, observed, batch_size=args.batch_size, layout='BTCHW',
        output_frames=args.output_frames)
    observed = observed.numpy()
    batched = layout.startswith('B')
    for index in range(len(predicted)):
        out_dir = osp.join(args.out, f'seq_{index:03d}') if batched \
            else args.out
        # the layout of one sequence of the input
        in_layout = to_layout(
            torch.from_numpy(predicted[index:index + 1]),
            layout[1:] if batched else layout).numpy()
        write_sequence(out_dir, observed[index], predicted[index], in_layout,
                       args)
    sequences = f'{len(predicted)} sequences' if batched else 'one sequence'
    beyond = '' if predicted.shape[1] <= model.output_frames else (
        f' (trained for {model.output_frames}: frames after those are '
        'extrapolated)')
    print(f'Forecast {predicted.shape[1]} frames{beyond} from '
          f'{model.input_frames} observed frames for {sequences} ({layout} '
          f'input); wrote them to {args.out}')


if __name__ == '__main__':
    main()
