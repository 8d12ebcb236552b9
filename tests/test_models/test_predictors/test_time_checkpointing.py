"""Time-checkpointed training: the gradients of the plain unroll."""
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from stpredict.registry import MODELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_transfer'))
from transfer_fixtures import write_source  # noqa: E402


@MODELS.register_module(force=True)
class DropoutHead(nn.Module):
    """A 1x1 head behind dropout: random numbers inside every step."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.3)
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x):
        return self.conv(self.drop(x))


def model_cfg(neck, **kwargs):
    cfg = dict(
        type='RecurrentPredictor', input_frames=3, output_frames=3,
        in_channels=1,
        data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=2),
        neck=neck)
    cfg.update(kwargs)
    return cfg


STACK = dict(type='SingleScaleStack',
             cell=dict(type='ConvLSTMCell', kernel_size=3),
             num_layers=2, hidden_channels=4)
PYRAMID = dict(type='MultiScalePyramid',
               cell=dict(type='SpatioTemporalLSTMCell', kernel_size=3),
               num_layers=4, hidden_channels=4)


def gradients(cfg, checkpoint_every, frames, autocast=False, draws=11):
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg, checkpoint_every=checkpoint_every))
    model.sampling_eta = 0.5  # scheduled sampling: random masks
    model.reverse_sampling_eta = 0.5
    model.train()
    torch.manual_seed(draws)  # the same masks and dropout in both runs
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
        losses = model(frames, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    return ({k: v.detach() for k, v in losses.items()},
            {n: p.grad for n, p in model.named_parameters()})


def assert_same(plain, recomputed):
    (losses, grads), (ck_losses, ck_grads) = plain, recomputed
    assert set(losses) == set(ck_losses)
    for key in losses:
        torch.testing.assert_close(ck_losses[key], losses[key])
    assert set(grads) == set(ck_grads)
    for name, grad in grads.items():
        assert grad is not None and grad.abs().sum() > 0, name
        torch.testing.assert_close(ck_grads[name], grad, rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize('neck', [STACK, PYRAMID], ids=['stack', 'pyramid'])
@pytest.mark.parametrize('every', [1, 2, 5])
def test_gradients_equal_the_plain_unroll(neck, every):
    torch.manual_seed(3)
    frames = torch.rand(2, 6, 4, 8, 8)
    cfg = model_cfg(neck)
    assert_same(gradients(cfg, 0, frames), gradients(cfg, every, frames))


def test_random_numbers_inside_a_step_are_replayed():
    """Dropout draws again in the recomputation: the same masks."""
    torch.manual_seed(3)
    frames = torch.rand(2, 6, 4, 8, 8)
    cfg = model_cfg(STACK, head=dict(type='DropoutHead'))
    plain = gradients(cfg, 0, frames)
    assert_same(plain, gradients(cfg, 2, frames))
    # and the draws matter: other draws give other gradients
    other = gradients(cfg, 0, frames, draws=12)
    assert not torch.equal(other[1]['head.conv.weight'],
                           plain[1]['head.conv.weight'])


def test_under_bfloat16_autocast():
    torch.manual_seed(3)
    frames = torch.rand(2, 6, 4, 8, 8)
    cfg = model_cfg(STACK)
    plain = gradients(cfg, 0, frames, autocast=True)
    recomputed = gradients(cfg, 3, frames, autocast=True)
    for name, grad in plain[1].items():
        torch.testing.assert_close(recomputed[1][name], grad)


def test_with_memory_transfer_teachers(tmp_path):
    sources = []
    for index in range(2):
        config, checkpoint, _ = write_source(tmp_path, f'src{index}',
                                             seed=index + 1)
        sources.append(dict(config=config, checkpoint=checkpoint))
    neck = dict(STACK, cell=dict(type='TMUCell', kernel_size=3,
                                 num_sources=2))
    cfg = model_cfg(neck, transfer=dict(type='MemoryTransfer',
                                        sources=sources, beta=0.5))
    torch.manual_seed(3)
    frames = torch.rand(2, 6, 4, 8, 8)
    plain = gradients(cfg, 0, frames)
    assert 'loss_distill' in plain[0]
    assert_same(plain, gradients(cfg, 2, frames))


def test_prediction_is_unchanged_and_bad_values_are_refused():
    torch.manual_seed(3)
    frames = torch.rand(2, 6, 4, 8, 8)
    torch.manual_seed(0)
    plain = MODELS.build(model_cfg(STACK))
    torch.manual_seed(0)
    recomputing = MODELS.build(model_cfg(STACK, checkpoint_every=2))
    with torch.no_grad():
        torch.testing.assert_close(recomputing(frames), plain(frames),
                                   rtol=0, atol=0)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match='checkpoint_every must be'):
            MODELS.build(model_cfg(STACK, checkpoint_every=bad))


def test_steps_are_recomputed_in_the_backward_pass():
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(STACK, checkpoint_every=1))
    calls = []
    model.neck.register_forward_hook(lambda *args: calls.append(1))
    losses = model(torch.rand(2, 6, 4, 8, 8), mode='loss')
    assert len(calls) == 5  # T_in + T_out - 1 steps
    losses['loss_frame'].backward()
    assert len(calls) == 10  # every step once more
