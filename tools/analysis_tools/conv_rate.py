"""Float32 vs bfloat16 convolution rates (GMAC/s) at the TMU setting.

The convolutions of a 4 x 64 ConvLSTM / TMU on 4x4-patched 64x64 frames
(batch 4, 16x16 maps): the 5x5 gate convolutions of the first and the
other layers and the 3x3 transfer gates, forward (no grad) and backward
(input and weight gradients), contiguous and channels-last. The ratio of
the bfloat16 and float32 rates bounds what ``--amp`` can gain.

Example:
    python tools/analysis_tools/conv_rate.py --threads 1
"""
import argparse
import os.path as osp
import sys
import time
from typing import Callable

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark import cpu_name  # noqa: E402

SHAPES = ((80, 256, 5), (128, 256, 5), (80, 128, 3), (128, 128, 3))


def seconds(run: Callable[[], object], repeats: int) -> float:
    run()
    run()
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f'# {cpu_name()}, torch {torch.__version__}, '
          f'{torch.get_num_threads()} thread(s), batch 4, 16x16 maps; GMAC/s')
    print('| in -> out, kernel | pass | float32 | float32 CL | bfloat16 | '
          'bfloat16 CL | bf16 / fp32 |')
    print('| --- | --- | --- | --- | --- | --- | --- |')
    for cin, cout, k in SHAPES:
        macs = 4 * 16 * 16 * cout * cin * k * k
        for name in ('forward', 'backward'):
            rates = []
            for dtype in (torch.float32, torch.bfloat16):
                for channels_last in (False, True):
                    x = torch.randn(4, cin, 16, 16, dtype=dtype)
                    w = torch.randn(cout, cin, k, k, dtype=dtype)
                    grad = torch.randn(4, cout, 16, 16, dtype=dtype)
                    if channels_last:
                        x, w, grad = (t.to(memory_format=torch.channels_last)
                                      for t in (x, w, grad))
                    if name == 'forward':
                        def run():
                            with torch.no_grad():
                                return F.conv2d(x, w, padding=k // 2)
                        work = macs
                    else:
                        def run():
                            return torch.ops.aten.convolution_backward(
                                grad, x, w, [cout], [1, 1], [k // 2, k // 2],
                                [1, 1], False, [0, 0], 1, [True, True, False])
                        work = 2 * macs  # input and weight gradients
                    rates.append(work / seconds(run, args.repeats) / 1e9)
            print(f'| {cin} -> {cout}, {k}x{k} | {name} | '
                  + ' | '.join(f'{r:.0f}' for r in rates)
                  + f' | {rates[2] / rates[0]:.2f}x |', flush=True)


if __name__ == '__main__':
    main()
