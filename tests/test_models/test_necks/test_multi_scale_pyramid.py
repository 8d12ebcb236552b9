import pytest
import torch
import torch.nn.functional as F

from stpredict.models.cells import BaseCell
from stpredict.models.necks import MultiScalePyramid, mirror_pyramid_scales
from stpredict.registry import CELLS, NECKS


class EchoCell(BaseCell):
    """h = the input x (channels kept); M and the diagonal are recorded.

    The memory passed on is the received memory + 1.
    """
    state_names = ('h', )
    uses_memory = True
    uses_diagonal = True

    def forward(self, x, states, memory=None, diagonal=None):
        aux = dict(x=x, memory=memory, diagonal=diagonal)
        return dict(h=x.clone()), memory + 1, aux


CELLS.register_module('EchoCellForPyramidTest', module=EchoCell, force=True)


class AffineCell(BaseCell):
    """h = gain * x + offset with hand-set numbers: a layer's output differs
    from its input, so a wiring that adds inputs instead of outputs fails.
    """
    state_names = ('h', )

    def __init__(self, in_channels, hidden_channels, gain=1.0, offset=0.0,
                 **kwargs):
        super().__init__(in_channels, hidden_channels, **kwargs)
        self.gain, self.offset = gain, offset

    def forward(self, x, states, memory=None, diagonal=None):
        return dict(h=self.gain * x + self.offset), memory, dict(x=x)


CELLS.register_module('AffineCellForPyramidTest', module=AffineCell,
                      force=True)


def conv_neck(neck_type, **kwargs):
    cfg = dict(type=neck_type, cell=dict(type='ConvLSTMCell', kernel_size=3),
               in_channels=3, hidden_channels=4, num_layers=6)
    cfg.update(kwargs)
    return NECKS.build(cfg)


def run(neck, frames):
    state = neck.init_state(frames[0])
    outputs = []
    for x in frames:
        out, state, _ = neck(x, state)
        outputs.append(out)
    return torch.stack(outputs), state


def test_mirror_scales():
    assert mirror_pyramid_scales(6) == [1, 2, 4, 4, 2, 1]
    assert mirror_pyramid_scales(5) == [1, 2, 4, 2, 1]
    assert mirror_pyramid_scales(4) == [1, 2, 2, 1]
    assert mirror_pyramid_scales(1) == [1]


def test_all_scales_one_without_skips_equals_the_single_scale_stack():
    torch.manual_seed(0)
    single = conv_neck('SingleScaleStack')
    pyramid = conv_neck('MultiScalePyramid', scales=[1] * 6, skip='none')
    pyramid.load_state_dict(single.state_dict())
    frames = torch.randn(3, 2, 3, 8, 8)
    out_single, state_single = run(single, frames)
    out_pyramid, state_pyramid = run(pyramid, frames)
    assert torch.equal(out_single, out_pyramid)
    assert torch.equal(state_single['layers'][3]['c'],
                       state_pyramid['layers'][3]['c'])


def test_sampling_and_skips_add_no_parameters():
    single = conv_neck('SingleScaleStack')
    for skip in ('unet', 'unet3+', 'dense', 'none'):
        pyramid = conv_neck('MultiScalePyramid', skip=skip)
        assert [n for n, _ in pyramid.named_parameters()] == \
            [n for n, _ in single.named_parameters()]
        assert sum(p.numel() for p in pyramid.parameters()) == \
            sum(p.numel() for p in single.parameters())


def test_states_live_at_their_layer_scale():
    neck = conv_neck('MultiScalePyramid')
    out, state = run(neck, torch.randn(2, 1, 3, 16, 16))
    sizes = [s['h'].shape[-1] for s in state['layers']]
    assert sizes == [16, 8, 4, 4, 8, 16]
    assert out.shape == (2, 1, 4, 16, 16)


def test_unet_wiring_memory_and_diagonal_follow_ms_rnn():
    neck = NECKS.build(
        dict(type='MultiScalePyramid',
             cell=dict(type='EchoCellForPyramidTest'),
             in_channels=1, hidden_channels=1, num_layers=6))
    assert neck.skip_sources == [[], [], [], [], [1], [0]]
    torch.manual_seed(0)
    x = torch.rand(1, 1, 8, 8)
    state = neck.init_state(x)
    assert state['memory'].shape[-1] == 8
    out, state, aux = neck(x, state)
    y = [a['x'] for a in aux]  # EchoCell: output = input
    pool = lambda t: F.max_pool2d(t, 2)  # noqa: E731
    up = lambda t: F.interpolate(  # noqa: E731
        t, scale_factor=2, mode='bilinear', align_corners=False)
    torch.testing.assert_close(y[1], pool(x))
    torch.testing.assert_close(y[2], pool(pool(x)))
    torch.testing.assert_close(y[3], y[2])
    torch.testing.assert_close(y[4], up(y[3]) + y[1])  # skip from layer 1
    torch.testing.assert_close(y[5], up(y[4]) + y[0])  # skip from layer 0
    torch.testing.assert_close(out, y[5])
    # the zigzag memory is resampled (no skips): zeros + 1 per layer
    memory_sizes = [a['memory'].shape[-1] for a in aux]
    assert memory_sizes == [8, 4, 2, 2, 4, 8]
    assert [a['memory'].mean().item() for a in aux] == [0, 1, 2, 3, 4, 5]
    # the top layer hands M to layer 0 of the next step at full resolution
    _, _, aux2 = neck(x, state)
    assert aux2[0]['memory'].shape[-1] == 8
    assert aux2[0]['memory'].mean().item() == 6
    # the diagonal H^{l-1}_{t-1} arrives at layer l's scale
    assert aux2[0]['diagonal'] is None
    for layer in range(1, 6):
        assert aux2[layer]['diagonal'].shape[-1] == memory_sizes[layer]
    torch.testing.assert_close(aux2[3]['diagonal'], y[2])
    torch.testing.assert_close(aux2[4]['diagonal'], up(y[3]))


def test_skip_variants():
    def sources(skip):
        return conv_neck('MultiScalePyramid', skip=skip).skip_sources

    assert sources('none') == [[]] * 6
    assert sources('unet3+') == [[], [], [], [0, 1], [0, 1], [0, 3]]
    assert sources('dense') == [[], [], [0], [0, 1], [0, 1, 2],
                                [0, 1, 2, 3]]
    neck = conv_neck('MultiScalePyramid', skip='dense')
    out, _ = run(neck, torch.randn(2, 1, 3, 8, 8))
    assert out.shape == (2, 1, 4, 8, 8)


def test_sizes_that_do_not_divide_fail_with_the_fix():
    neck = conv_neck('MultiScalePyramid')
    with pytest.raises(ValueError, match='divide by 4, got 10x12'):
        neck.init_state(torch.zeros(1, 3, 10, 12))


def test_bad_settings():
    with pytest.raises(ValueError, match='powers of two'):
        conv_neck('MultiScalePyramid', scales=[1, 3, 1, 1, 1, 1])
    with pytest.raises(ValueError, match='skip must be one of'):
        conv_neck('MultiScalePyramid', skip='fpn')
    with pytest.raises(ValueError, match='skips need equal channels'):
        conv_neck('MultiScalePyramid', hidden_channels=[4, 8, 8, 8, 8, 4])
    assert isinstance(conv_neck('MultiScalePyramid'), MultiScalePyramid)


def test_unet3plus_wiring_follows_ms_rnn_table_10():
    gains = [2.0, -1.0, 0.5, 3.0, -2.0, 1.5]
    offsets = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6]
    neck = NECKS.build(
        dict(type='MultiScalePyramid',
             cell=[dict(type='AffineCellForPyramidTest', gain=g, offset=o)
                   for g, o in zip(gains, offsets)],
             in_channels=1, hidden_channels=1, num_layers=6,
             skip='unet3+'))
    torch.manual_seed(0)
    x = torch.rand(2, 1, 16, 16)
    out, _, aux = neck(x, neck.init_state(x))

    def pool(t, k):
        return F.max_pool2d(t, k)

    def up(t, k):
        return F.interpolate(t, scale_factor=k, mode='bilinear',
                             align_corners=False)

    # the expected input and output of every layer, computed by hand
    inputs, y = [x], [gains[0] * x + offsets[0]]

    def layer(inp):
        inputs.append(inp)
        y.append(gains[len(y)] * inp + offsets[len(y)])

    layer(pool(y[0], 2))
    layer(pool(y[1], 2))
    layer(pool(y[0], 4) + pool(y[1], 2) + y[2])
    layer(up(y[3], 2) + y[1] + pool(y[0], 2))
    layer(up(y[4], 2) + y[0] + up(y[3], 4))
    assert [i.shape[-1] for i in inputs] == [16, 8, 4, 4, 8, 16]
    for index, (got, expected) in enumerate(zip(aux, inputs)):
        torch.testing.assert_close(got['x'], expected, msg=f'layer {index}')
    torch.testing.assert_close(out, y[5])  # the head reads y5


def test_unet3plus_other_depths_and_bad_scales():
    def sources(num_layers, scales=None):
        return NECKS.build(
            dict(type='MultiScalePyramid',
                 cell=dict(type='EchoCellForPyramidTest'), in_channels=1,
                 hidden_channels=1, num_layers=num_layers, scales=scales,
                 skip='unet3+')).skip_sources

    # 5 layers [1, 2, 4, 2, 1]: the bottom layer 2 starts the decoder
    assert sources(5) == [[], [], [0], [0, 1], [0, 2]]
    assert sources(4) == [[], [], [0], [0]]
    assert sources(3) == [[], [], [0]]
    assert sources(8, [1, 2, 4, 8, 8, 4, 2, 1]) == [
        [], [], [], [], [0, 1, 2], [0, 1, 2], [0, 1, 4], [0, 4, 5]]
    for scales in ([1] * 6, [1, 2, 1, 2, 1, 1], [1, 4, 2, 4, 2, 1]):
        with pytest.raises(ValueError, match='go down to one coarsest'):
            sources(6, scales)
