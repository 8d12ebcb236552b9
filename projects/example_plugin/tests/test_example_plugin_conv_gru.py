"""Tests of the example plugin's ConvGRUCell and of its config.

Run from the root of the stpredict repository:
``python -m pytest projects/example_plugin/tests -q``.
"""
import importlib.util
import math
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

PLUGIN_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
REPO_ROOT = osp.abspath(osp.join(PLUGIN_ROOT, '..', '..'))
# not installed: use the source trees
if importlib.util.find_spec('stpredict') is None:
    sys.path.insert(0, REPO_ROOT)
if importlib.util.find_spec('stpredict_example_plugin') is None:
    sys.path.insert(0, PLUGIN_ROOT)

from mmengine.config import Config  # noqa: E402

from stpredict.registry import CELLS, MODELS  # noqa: E402
from stpredict.utils import register_all_modules  # noqa: E402
from stpredict.utils.checkpoint import safe_torch_load  # noqa: E402

register_all_modules(init_default_scope=False)
CONFIG = 'projects/example_plugin/configs/' \
    'conv_gru_2x32_flying2digits-10to10_tiny.py'


@pytest.fixture(scope='module')
def conv_gru():
    """The plugin's ``ConvGRUCell`` class.

    Imported when a test needs it, not when pytest collects this file: the
    import registers the cell, and stpredict's own tests (collected in the
    same session by tools/run_tests.sh) must see stpredict's registry alone.
    """
    from stpredict_example_plugin import ConvGRUCell
    return ConvGRUCell


def sigmoid(value):
    return 1.0 / (1.0 + math.exp(-value))


def set_scalar_weights(cell, w_x, b, w_h):
    """Fill a 1-channel, 1x1-kernel cell with the given scalars.

    ``w_x = (w_xz, w_xr, w_xh)``, ``b = (b_z, b_r, b_h)``,
    ``w_h = (w_hz, w_hr, w_hh)``.
    """
    with torch.no_grad():
        cell.input_conv.weight.copy_(torch.tensor(w_x).view(3, 1, 1, 1))
        cell.input_conv.bias.copy_(torch.tensor(b))
        if cell.reset == 'after':
            cell.hidden_conv.weight.copy_(torch.tensor(w_h).view(3, 1, 1, 1))
        else:
            cell.hidden_conv.weight.copy_(
                torch.tensor(w_h[:2]).view(2, 1, 1, 1))
            cell.reset_hidden_conv.weight.fill_(w_h[2])


@pytest.mark.parametrize('reset', ['after', 'before'])
@pytest.mark.parametrize('activation', ['tanh', 'leaky_relu'])
def test_step_matches_the_equations_by_hand(conv_gru, reset, activation):
    cell = conv_gru(1, 1, kernel_size=1, reset=reset, activation=activation)
    w_x, b, w_h = (0.5, -0.25, 1.5), (0.1, 0.2, -0.3), (-0.75, 0.6, 0.8)
    set_scalar_weights(cell, w_x, b, w_h)
    xs = [[0.2, -1.0], [0.7, 0.0]]
    hs = [[0.5, -0.4], [-0.9, 0.3]]
    x = torch.tensor(xs).view(1, 1, 2, 2)
    h = torch.tensor(hs).view(1, 1, 2, 2)
    out, memory, aux = cell(x, dict(h=h))
    assert memory is None and aux == {}
    f = math.tanh if activation == 'tanh' else (
        lambda v: v if v > 0 else 0.2 * v)
    for i in range(2):
        for j in range(2):
            xv, hv = xs[i][j], hs[i][j]
            z = sigmoid(w_x[0] * xv + w_h[0] * hv + b[0])
            r = sigmoid(w_x[1] * xv + w_h[1] * hv + b[1])
            if reset == 'after':   # Shi et al. 2017: R * (W_hh * H)
                pre = w_x[2] * xv + r * (w_h[2] * hv) + b[2]
            else:                  # Ballas et al. 2016: W_hh * (R * H)
                pre = w_x[2] * xv + w_h[2] * (r * hv) + b[2]
            expected = (1 - z) * f(pre) + z * hv
            assert out['h'][0, 0, i, j].item() == pytest.approx(
                expected, abs=1e-6)


def test_the_two_reset_positions_differ(conv_gru):
    # the same weights give different steps (W_hh * (R H) != R (W_hh * H)
    # for a kernel that mixes pixels)
    torch.manual_seed(0)
    after = conv_gru(2, 3, reset='after')
    before = conv_gru(2, 3, reset='before')
    with torch.no_grad():
        before.input_conv.load_state_dict(after.input_conv.state_dict())
        before.hidden_conv.weight.copy_(after.hidden_conv.weight[:6])
        before.reset_hidden_conv.weight.copy_(after.hidden_conv.weight[6:])
    x, h = torch.randn(1, 2, 5, 5), torch.randn(1, 3, 5, 5)
    out_after = after(x, dict(h=h))[0]['h']
    out_before = before(x, dict(h=h))[0]['h']
    assert (out_after - out_before).abs().max() > 1e-3


@pytest.mark.parametrize('reset', ['after', 'before'])
def test_fused_convolutions_match_one_convolution_per_term(conv_gru, reset):
    """The fused kernels hold W_xz, W_xr, W_xh and W_hz, W_hr, W_hh in
    order: recompute the step with one 3x3 convolution per term."""
    torch.manual_seed(1)
    cell = conv_gru(2, 3, kernel_size=3, reset=reset)
    x, h = torch.randn(2, 2, 6, 5), torch.randn(2, 3, 6, 5)
    out = cell(x, dict(h=h))[0]['h']

    w_xz, w_xr, w_xh = cell.input_conv.weight.split(3)
    b_z, b_r, b_h = cell.input_conv.bias.split(3)
    w_hz, w_hr = cell.hidden_conv.weight.split(3)[:2]

    def conv(t, w, bias=None):
        return F.conv2d(t, w, bias, padding=1)

    z = torch.sigmoid(conv(x, w_xz, b_z) + conv(h, w_hz))
    r = torch.sigmoid(conv(x, w_xr, b_r) + conv(h, w_hr))
    if reset == 'after':
        w_hh = cell.hidden_conv.weight[6:]
        candidate = conv(x, w_xh, b_h) + r * conv(h, w_hh)
    else:
        w_hh = cell.reset_hidden_conv.weight
        candidate = conv(x, w_xh, b_h) + conv(r * h, w_hh)
    expected = (1 - z) * torch.tanh(candidate) + z * h
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize('reset', ['after', 'before'])
def test_parameter_count(conv_gru, reset):
    cell = conv_gru(16, 32, kernel_size=3, reset=reset)
    expected = (16 + 32) * 3 * 32 * 9 + 3 * 32
    assert sum(p.numel() for p in cell.parameters()) == expected


def test_states_follow_the_input_and_shapes(conv_gru):
    cell = conv_gru(3, 4, kernel_size=(3, 5)).double()
    assert cell.state_names == ('h', ) and cell.out_channels == 4
    assert not cell.uses_memory and not cell.uses_diagonal
    x = torch.randn(2, 3, 7, 9, dtype=torch.float64)
    states = cell.init_states(x)
    assert set(states) == {'h'}
    assert states['h'].shape == (2, 4, 7, 9)
    assert states['h'].dtype == torch.float64
    assert torch.count_nonzero(states['h']) == 0
    out, _, _ = cell(x, states)
    assert out['h'].shape == (2, 4, 7, 9)
    assert out['h'].dtype == torch.float64
    # tanh candidate and a convex combination with H_{t-1} = 0: |H_t| < 1
    assert out['h'].abs().max() < 1


def test_no_state_is_kept_between_calls(conv_gru):
    torch.manual_seed(2)
    cell = conv_gru(1, 4)
    before = {k: v.clone() for k, v in cell.state_dict().items()}
    attributes = set(vars(cell))
    x1 = torch.randn(2, 1, 8, 8)
    first = cell(x1, cell.init_states(x1))[0]['h']
    # another batch and frame size in between changes nothing
    x2 = torch.randn(3, 1, 4, 6)
    cell(x2, cell.init_states(x2))
    again = cell(x1, cell.init_states(x1))[0]['h']
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert set(vars(cell)) == attributes
    for key, value in cell.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    # the step depends on the state it receives, and only on it
    second = cell(x1, dict(h=first))[0]['h']
    assert (second - first).abs().max() > 1e-4


def test_mismatched_state_is_refused(conv_gru):
    cell = conv_gru(1, 4)
    x = torch.randn(1, 1, 8, 8)
    with pytest.raises(ValueError, match='init_states'):
        cell(x, dict(h=torch.zeros(1, 4, 4, 4)))


@pytest.mark.parametrize('kwargs, match', [
    (dict(reset='middle'), 'reset must be one of'),
    (dict(activation='relu'), 'activation must be one of'),
    (dict(kernel_size=4), 'odd kernel'),
])
def test_bad_arguments_name_the_fix(conv_gru, kwargs, match):
    with pytest.raises(ValueError, match=match):
        conv_gru(1, 4, **kwargs)


@pytest.mark.parametrize('reset', ['after', 'before'])
def test_gradients(conv_gru, reset):
    torch.manual_seed(3)
    cell = conv_gru(1, 2, kernel_size=3, reset=reset).double()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)

    def two_steps(x, h0):
        h1 = cell(x, dict(h=h0))[0]['h']
        return cell(x, dict(h=h1))[0]['h']

    assert torch.autograd.gradcheck(two_steps, (x, h0))
    cell.zero_grad()
    two_steps(x, h0).square().sum().backward()
    for name, param in cell.named_parameters():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name


def test_registered_and_built_from_the_config(conv_gru, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert CELLS.get('ConvGRUCell') is conv_gru
    cfg = Config.fromfile(CONFIG)
    assert cfg.custom_imports.imports == ['stpredict_example_plugin']
    # _delete_ replaced the inherited ConvLSTMCell settings
    assert cfg.model.neck.cell == dict(
        type='ConvGRUCell', kernel_size=3, reset='after', activation='tanh')
    assert cfg.model.neck.num_layers == 2
    model = MODELS.build(cfg.model)
    assert [type(c).__name__ for c in model.neck.cells] == ['ConvGRUCell'] * 2
    frames = torch.rand(2, 20, 16, 16, 16)   # 4x4 patches of 64x64 frames
    preds = model(frames, mode='tensor')
    assert preds.shape == (2, 19, 16, 16, 16)


def test_works_in_the_multi_scale_pyramid(conv_gru):
    model = MODELS.build(
        dict(
            type='RecurrentPredictor',
            input_frames=3,
            output_frames=2,
            in_channels=1,
            neck=dict(
                type='MultiScalePyramid',
                cell=dict(type='ConvGRUCell'),
                num_layers=4,
                hidden_channels=4)))
    assert [c.hidden_channels for c in model.neck.cells] == [4] * 4
    samples = model(torch.rand(2, 5, 1, 8, 8), mode='predict')
    assert samples[0].pred_frames.shape == (2, 1, 8, 8)


def test_train_tool_trains_the_config(tmp_path):
    """Two iterations of ``tools/train.py`` on the plugin's config."""
    loaders = []
    for name, num, batch in (('train_dataloader', 32, 2),
                             ('val_dataloader', 4, 2),
                             ('test_dataloader', 8, 4)):
        loaders += [
            f'{name}.num_workers=0', f'{name}.persistent_workers=False',
            f'{name}.batch_size={batch}',
            f'{name}.dataset.num_sequences={num}'
        ]
    command = [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(tmp_path), '--cfg-options', 'train_cfg.max_iters=2',
        'model.neck.hidden_channels=8', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'custom_hooks.0.end_iter=8'
    ] + loaders
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONWARNINGS='ignore',
        PYTHONPATH=os.pathsep.join(
            [PLUGIN_ROOT, REPO_ROOT, os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'Iter(train) [2/2]' in log
    assert 'mse_per_frame' in log   # validated at iteration 2
    checkpoint = safe_torch_load(str(tmp_path / 'iter_2.pth'))
    state = checkpoint['state_dict']
    # two GRU layers of 8 channels on 16-channel patched frames
    assert state['neck.cells.0.input_conv.weight'].shape == (24, 16, 3, 3)
    assert state['neck.cells.1.hidden_conv.weight'].shape == (24, 8, 3, 3)
    assert not any('gate_conv' in key for key in state)   # no ConvLSTM left
    dumped = (tmp_path / osp.basename(CONFIG)).read_text()
    assert "type='ConvGRUCell'" in dumped
