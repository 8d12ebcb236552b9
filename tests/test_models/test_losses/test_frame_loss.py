import pytest
import torch

from stpredict.models.losses import FrameLoss


def test_hand_computed_values():
    pred = torch.zeros(1, 2, 1, 2, 2)
    target = torch.zeros(1, 2, 1, 2, 2)
    target[0, 0] = 0.5  # frame 0: every pixel off by 0.5
    target[0, 1, 0, 0, 0] = 1.0  # frame 1: one pixel off by 1
    # per frame sums of squared error: 4 * 0.25 = 1 and 1 -> mean 1
    assert FrameLoss('l2', 'frame_sum')(pred, target).item() == \
        pytest.approx(1.0)
    # pixel mean: (1 + 1) / 8
    assert FrameLoss('l2', 'pixel_mean')(pred, target).item() == \
        pytest.approx(0.25)
    # l1 per frame: 2 and 1 -> 1.5
    assert FrameLoss('l1', 'frame_sum')(pred, target).item() == \
        pytest.approx(1.5)
    # l1+l2 per frame (MS-RNN): (1 + 2 + 1 + 1) / 2
    assert FrameLoss('l1+l2', 'frame_sum')(pred, target).item() == \
        pytest.approx(2.5)
    assert FrameLoss('l2', 'frame_sum', loss_weight=3)(
        pred, target).item() == pytest.approx(3.0)


def test_float32_under_bfloat16():
    pred = torch.rand(2, 3, 1, 4, 4).bfloat16()
    loss = FrameLoss()(pred, torch.rand(2, 3, 1, 4, 4))
    assert loss.dtype == torch.float32


def test_errors():
    with pytest.raises(ValueError, match='reduction'):
        FrameLoss(reduction='sum')
    with pytest.raises(ValueError, match='must match'):
        FrameLoss()(torch.zeros(1, 2, 1, 4, 4), torch.zeros(1, 3, 1, 4, 4))
