import copy

import pytest
import torch
from mmengine.config import Config

from stpredict.models.cells.zoo import model_config_path, zoo_entries
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules
from stpredict.utils.complexity import (count_flops, count_parameters,
                                        measure_training_memory)

register_all_modules(init_default_scope=False)


def msrnn_model(key, multi_scale, frames=(2, 1)):
    cfg = Config.fromfile(model_config_path(key, 'msrnn')).model
    cfg = copy.deepcopy(cfg)
    cfg.input_frames, cfg.output_frames = frames
    if multi_scale:
        cfg.neck.type = 'MultiScalePyramid'
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.mark.parametrize('key', ['convlstm', 'predrnn'])
def test_six_layer_pyramid_cuts_flops_by_eq14(key):
    frames = torch.rand(1, 3, 1, 32, 32)
    single = count_flops(msrnn_model(key, False), frames)
    multi = count_flops(msrnn_model(key, True), frames)
    # MS-RNN Eq. 14: (6 - (1 + 1/4 + 1/16) * 2) / 6 = 56.25 %
    assert 1 - multi / single == pytest.approx(0.5625, abs=0.005)


def test_parameters_match_and_memory_shrinks():
    single = msrnn_model('convlstm', False)
    multi = msrnn_model('convlstm', True)
    assert count_parameters(single) == count_parameters(multi) == 1771201
    frames = torch.rand(2, 3, 1, 32, 32)
    mem_single = measure_training_memory(single, frames)
    mem_multi = measure_training_memory(multi, frames)
    param_bytes = 1771201 * 4
    assert mem_single['params'] == param_bytes
    assert mem_single['optimizer'] == 2 * param_bytes
    # the pyramid saves far fewer activations, but never more than the
    # 56.25 % that its FLOPs save
    saving = 1 - mem_multi['activations'] / mem_single['activations']
    assert 0.3 < saving <= 0.5625 + 0.02
    assert all(p.grad is None for p in single.parameters())


def test_activation_memory_of_a_known_graph():
    """Saved tensors are counted once per storage, parameters excluded."""

    class Square(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.ones(1))

        def forward(self, frames, mode='loss'):
            y = frames * self.weight  # saves frames (excluded) and weight
            z = y * y  # saves y (one storage, 4 x 100 floats)
            return dict(loss=z.sum())

    memory = measure_training_memory(Square(), torch.rand(4, 100))
    assert memory['activations'] == 4 * 100 * 4


def test_every_zoo_cell_has_both_model_configs():
    for entry in zoo_entries():
        for setting in ('msrnn', 'predrnn'):
            cfg = Config.fromfile(model_config_path(entry.key, setting))
            assert cfg.model.type == 'RecurrentPredictor'
