"""Every cell of the zoo trains inside the MS-RNN pyramid."""
import copy

import pytest
import torch
from mmengine.config import Config

from stpredict.models.cells.zoo import model_config_path, zoo_entries
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

register_all_modules(init_default_scope=False)


@pytest.mark.parametrize('entry', zoo_entries(),
                         ids=[e.key for e in zoo_entries()])
def test_cell_trains_in_the_pyramid(entry):
    cfg = copy.deepcopy(Config.fromfile(model_config_path(entry.key)).model)
    cfg.input_frames, cfg.output_frames = 2, 1
    cfg.stem.out_channels = 8
    cfg.neck.update(type='MultiScalePyramid', hidden_channels=8)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    assert model.neck.scales == [1, 2, 4, 4, 2, 1]
    frames = torch.rand(1, 3, 1, 16, 16)
    losses = model(frames, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    grads = [p.grad for p in model.neck.cells[2].parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    # the states of layer 2 live at a quarter of the resolution
    with torch.no_grad():
        state = model.neck.init_state(model.stem(frames[:, 0]))
    out = model.neck.cells[2].output_state
    assert state['layers'][2][out].shape[-1] == 4
