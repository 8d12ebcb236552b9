"""Stem, neck and head are built one way: from a config dict or taken built,
and a channel value that would be overwritten is an error naming it."""
import pytest
import torch
import torch.nn as nn

from stpredict.models.predictors import RecurrentPredictor
from stpredict.registry import MODELS, NECKS

NECK = dict(type='SingleScaleStack',
            cell=dict(type='ConvLSTMCell', kernel_size=3),
            num_layers=2, hidden_channels=6)


def predictor(**kwargs):
    cfg = dict(type='RecurrentPredictor', input_frames=2, output_frames=2,
               neck=NECK)
    cfg.update(kwargs)
    return MODELS.build(cfg)


@pytest.mark.parametrize('name', ['in_channels', 'hidden_channels'])
def test_a_cell_channel_the_neck_would_drop_is_an_error(name):
    cell = dict(type='ConvLSTMCell', **{name: 32})
    with pytest.raises(ValueError) as error:
        NECKS.build(dict(NECK, cell=cell, in_channels=1))
    message = str(error.value)
    assert f'layer 0 (ConvLSTMCell) sets {name}=32' in message
    if name == 'hidden_channels':
        assert 'Set neck.hidden_channels instead' in message


def test_a_cell_channel_equal_to_the_necks_is_accepted():
    # layer 1 reads layer 0's 6 channels: nothing would be overwritten
    neck = NECKS.build(
        dict(NECK, in_channels=1,
             cell=[dict(type='ConvLSTMCell', in_channels=1,
                        hidden_channels=6),
                   dict(type='ConvLSTMCell', in_channels=6)]))
    assert [c.hidden_channels for c in neck.cells] == [6, 6]


def test_a_different_neck_in_channels_is_an_error():
    with pytest.raises(ValueError, match=r'model\.neck\.in_channels=3, but '
                       r'the neck reads .* 1 channels'):
        predictor(neck=dict(NECK, in_channels=3))


def step_outputs(model):
    frames = torch.rand(1, 4, 1, 8, 8, generator=torch.Generator()
                        .manual_seed(0))
    with torch.no_grad():
        return model(frames, mode='tensor')


def test_built_stem_neck_and_head_equal_their_configs():
    """The same modules, given built or as configs, make the same model."""
    torch.manual_seed(0)
    stem = nn.Conv2d(1, 5, 1)
    neck = NECKS.build(dict(NECK, in_channels=5))
    head = nn.Conv2d(6, 1, 1, bias=False)
    built = RecurrentPredictor(stem=stem, neck=neck, head=head,
                               input_frames=2, output_frames=2)
    assert built.stem is stem and built.neck is neck and built.head is head
    from_cfg = predictor(
        stem=dict(type='Conv2d', out_channels=5, kernel_size=1))
    from_cfg.load_state_dict(built.state_dict())
    out = step_outputs(built)
    assert out.shape == (1, 3, 1, 8, 8)
    torch.testing.assert_close(out, step_outputs(from_cfg))


def test_built_parts_with_the_wrong_channels_are_refused():
    neck = NECKS.build(dict(NECK, in_channels=5))
    with pytest.raises(ValueError, match='the built neck SingleScaleStack '
                       'has in_channels=5, but the model needs 1'):
        predictor(neck=neck)
    with pytest.raises(ValueError, match='the built head Conv2d has '
                       'out_channels=3, but the model needs 1'):
        predictor(head=nn.Conv2d(6, 3, 1))
    with pytest.raises(TypeError, match='the stem Sequential has no integer '
                       'out_channels'):
        predictor(stem=nn.Sequential(nn.Conv2d(1, 6, 1)))
    with pytest.raises(TypeError, match='not a stpredict neck'):
        predictor(neck=nn.Conv2d(1, 6, 1))
    with pytest.raises(TypeError, match='head must be a config dict'):
        predictor(head='Conv2d')
