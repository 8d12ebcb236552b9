"""tools/analysis_tools/benchmark.py in its quick mode."""
import importlib.util
import re
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[2]


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        'benchmark', ROOT / 'tools/analysis_tools/benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_prints_every_ratio(capsys):
    lines = load_benchmark().main(['--quick'])
    text = '\n'.join(lines)
    assert 'thread(s)' in text and 'alternating' in text
    assert 'logical CPU(s)' in text
    assert re.search(r'gradient error [0-9.e-]+', text)
    rows = {}
    for row in lines:
        match = re.match(r'\| \((\w)\) (.+?) \|.*\| ([0-9.]+)x \|', row)
        if match:
            rows.setdefault(match.group(1), []).append(
                float(match.group(3)))
    assert sorted(rows) == ['a', 'b', 'c', 'd']
    assert len(rows['b']) == 2 and len(rows['c']) == 4
    assert all(value > 0 for values in rows.values() for value in values)
    memory = rows['d'][0]  # checkpoint_every=1 holds less for backward
    assert memory < 0.6
    assert capsys.readouterr().out.count('| (') == 9


def test_held_activations_of_a_known_graph():
    """y = sigmoid(W x) with x [4, 8]: sigmoid keeps its output (4 x 8
    floats) and the matmul its input (the frames, not counted); the loss is
    not counted either."""
    benchmark = load_benchmark()

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(8, 8, bias=False)

        def forward(self, x, mode='loss'):
            return dict(loss=torch.sigmoid(self.linear(x)).sum())

    frames = torch.rand(4, 8)
    assert benchmark.held_activation_bytes(Tiny(), frames) == 4 * 8 * 4


def test_profile_reports_the_convolutions_share_of_each_run(capsys):
    lines = load_benchmark().main(['--quick', '--only', 'forecast',
                                   '--profile'])
    shares = {}
    for row in lines:
        match = re.match(r'\| \(a\) (.+?) \| ([0-9.e-]+) s \| ([0-9.e-]+) s '
                         r'\| ([0-9]+)% \|', row)
        if match:
            conv, wall = float(match.group(2)), float(match.group(3))
            shares[match.group(1)] = (conv, wall, int(match.group(4)))
    assert sorted(shares) == ['ConvLSTM forecast', 'TMU forecast']
    for conv, wall, share in shares.values():
        # the cells are convolutions plus pointwise gates: some time is
        # spent in each, and the convolutions cannot take longer than the call
        assert 0 < conv <= wall and 0 < share <= 100


def test_convolution_share_counts_only_convolutions():
    benchmark = load_benchmark()
    x = torch.rand(1, 8, 32, 32)
    w = torch.rand(8, 8, 3, 3)
    conv_only, _ = benchmark.convolution_share(
        lambda: torch.nn.functional.conv2d(x, w))
    assert conv_only > 0
    no_conv, _ = benchmark.convolution_share(lambda: (x @ x).sum())
    assert no_conv == 0
