"""tools/analysis_tools/model_complexity.py: multiply-adds (MACs), named as
such, and the per-module table, checked against the convolution formula."""
import importlib.util
import os.path as osp

from mmengine.config import Config
from tool_runner import PYTHON, REPO_ROOT, TINY_CONFIG, run_tool

from stpredict.utils.complexity import count_flops, count_macs_by_module

TOOL = 'tools/analysis_tools/model_complexity.py'
STEPS = 19  # 10 + 10 frames: 19 unrolled steps
PIXELS = 16 * 16  # 64x64 frames in 4x4 patches


def conv_macs(in_channels, out_channels, kernel):
    """Multiply-adds of one convolution over the patched frame, all steps."""
    return in_channels * out_channels * kernel * kernel * PIXELS * STEPS


# the tiny ConvLSTM: 16 patched input channels, 2 layers x 32, 3x3 gates
# (one fused conv on [x, h] for the 4 gates), 1x1 head back to 16 channels
LAYER_0 = conv_macs(16 + 32, 4 * 32, 3)
LAYER_1 = conv_macs(32 + 32, 4 * 32, 3)
HEAD = conv_macs(32, 16, 1)


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'model_complexity', osp.join(REPO_ROOT, TOOL))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_macs_per_module_follow_the_convolution_formula():
    tool = load_tool()
    cfg = Config.fromfile(osp.join(REPO_ROOT, TINY_CONFIG))
    model, frames = tool.build_model_and_frames(cfg, 1, 64, 64, 'cpu')
    macs, by_operator = count_macs_by_module(model, frames)
    assert macs['neck.cells.0'] == LAYER_0 == 268_959_744
    assert macs['neck.cells.1'] == LAYER_1
    assert macs['head'] == HEAD
    assert macs[''] == LAYER_0 + LAYER_1 + HEAD == count_flops(model, frames)
    assert by_operator == {'conv': macs['']}
    rows = tool.module_rows(model, macs, depth=3)
    assert [row[0] for row in rows] == [
        '(model)', 'neck', 'neck.cells', 'neck.cells.0', 'neck.cells.1',
        'head'
    ]
    cells = {row[0]: row for row in rows}
    assert cells['neck.cells.0'][1:] == [
        'ConvLSTMCell', f'{(48 * 128 * 9 + 128) / 1e6:.4f} M', '0.269 G',
        f'{100 * LAYER_0 / macs[""]:.1f} %'
    ]
    assert cells['(model)'][-1] == '100.0 %'
    assert [row[0] for row in tool.module_rows(model, macs, 1)] == [
        '(model)', 'neck', 'head']


def test_the_tool_says_multiply_adds_and_prints_the_table():
    _, output = run_tool(PYTHON, TOOL, TINY_CONFIG, '--batch-size', '1')
    total = (LAYER_0 + LAYER_1 + HEAD) / 1e9
    assert f'MACs:        {total:.3f} G multiply-adds per sequence ' \
        '(forward, 19 steps; conv' in output
    assert 'FLOPs:' not in output and 'about 2 FLOPs' in output
    assert 'per module (parameters; MACs per sequence, all steps):' in output
    (row, ) = [line for line in output.splitlines()
               if line.startswith('neck.cells.1 ')]
    assert [cell.strip() for cell in row.split('|')][1:4] == [
        'ConvLSTMCell', f'{(64 * 128 * 9 + 128) / 1e6:.4f} M',
        f'{LAYER_1 / 1e9:.3f} G']
    _, output = run_tool(PYTHON, TOOL, TINY_CONFIG, '--params-only')
    assert 'MACs' not in output and 'parameters:  0.130 M' in output
