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
    rows = {}
    for row in lines:
        match = re.match(r'\| \((\w)\) (.+?) \|.*\| ([0-9.]+)x \|', row)
        if match:
            rows.setdefault(match.group(1), []).append(
                float(match.group(3)))
    assert sorted(rows) == ['a', 'b', 'c', 'd']
    assert len(rows['b']) == 2 and len(rows['c']) == 2
    assert all(value > 0 for values in rows.values() for value in values)
    memory = rows['d'][0]  # checkpoint_every=1 holds less for backward
    assert memory < 0.6
    assert capsys.readouterr().out.count('| (') == 7


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
