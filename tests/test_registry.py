"""Every kind of component builds from a config, with and without a default
scope, and a module outside the package can register a new cell."""
import textwrap

import pytest
import torch
from mmengine import DefaultScope
from mmengine.config import Config

from stpredict.registry import (CELLS, DATASETS, HOOKS, METRICS, MODELS, NECKS,
                                OPTIM_WRAPPERS, TRANSFERS, TRANSFORMS)
from stpredict.utils import register_all_modules

register_all_modules(init_default_scope=False)


@TRANSFERS.register_module(force=True)
class RegistryTestTransfer:
    """A transfer method defined outside the package's transfer module."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight


TINY_MODEL = dict(
    type='RecurrentPredictor',
    input_frames=2,
    output_frames=1,
    neck=dict(type='SingleScaleStack', cell=dict(type='ConvLSTMCell'),
              num_layers=1, hidden_channels=4))

CASES = [
    (MODELS, TINY_MODEL, 'RecurrentPredictor'),
    (MODELS, dict(type='FrameLoss'), 'FrameLoss'),
    (MODELS, dict(type='SequenceDataPreprocessor', patch_size=2),
     'SequenceDataPreprocessor'),
    (CELLS, dict(type='ConvLSTMCell', in_channels=1, hidden_channels=2),
     'ConvLSTMCell'),
    (NECKS, dict(type='SingleScaleStack', cell=dict(type='ConvLSTMCell'),
                 in_channels=1), 'SingleScaleStack'),
    (TRANSFERS, dict(type='RegistryTestTransfer', weight=2.0),
     'RegistryTestTransfer'),
    (HOOKS, dict(type='ScheduledSamplingHook'), 'ScheduledSamplingHook'),
    (METRICS, dict(type='MSE'), 'MSE'),
    (DATASETS, dict(type='FlyingDigits', num_digits=1, num_sequences=2),
     'FlyingDigits'),
    (TRANSFORMS, dict(type='PackSequenceInputs'), 'PackSequenceInputs'),
    (OPTIM_WRAPPERS,
     dict(type='CPUAutocastOptimWrapper',
          optimizer=torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                                    lr=0.1)), 'CPUAutocastOptimWrapper'),
]


@pytest.mark.parametrize('with_scope', [False, True])
@pytest.mark.parametrize('registry,cfg,name', CASES,
                         ids=[c[2] for c in CASES])
def test_build_with_and_without_default_scope(registry, cfg, name,
                                              with_scope):
    if with_scope:
        with DefaultScope.overwrite_default_scope('stpredict'):
            obj = registry.build(dict(cfg))
    else:
        obj = registry.build(dict(cfg))
    assert type(obj).__name__ == name


def test_mmengine_components_are_found_through_the_children():
    with DefaultScope.overwrite_default_scope('stpredict'):
        hook = HOOKS.build(dict(type='CheckpointHook', interval=3))
    assert type(hook).__name__ == 'CheckpointHook'
    assert MODELS.scope == 'stpredict' and CELLS.scope == 'stpredict'


def test_plugin_registers_a_cell_used_from_a_config(tmp_path, monkeypatch):
    plugin = tmp_path / 'my_stpredict_plugin.py'
    plugin.write_text(textwrap.dedent('''
        import torch
        from stpredict.models.cells import ConvLSTMCell
        from stpredict.registry import CELLS

        @CELLS.register_module()
        class DoubledConvLSTMCell(ConvLSTMCell):
            """A third-party cell: a ConvLSTM whose output is doubled."""

            def forward(self, x, states, memory=None, diagonal=None):
                states, memory, aux = super().forward(x, states, memory)
                states = dict(states, h=2 * states['h'])
                return states, memory, aux
        '''))
    config = tmp_path / 'plugin_config.py'
    config.write_text(textwrap.dedent('''
        custom_imports = dict(imports=['my_stpredict_plugin'],
                              allow_failed_imports=False)
        model = dict(
            type='RecurrentPredictor', input_frames=2, output_frames=1,
            neck=dict(type='SingleScaleStack',
                      cell=dict(type='DoubledConvLSTMCell', kernel_size=3),
                      num_layers=1, hidden_channels=4))
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert 'DoubledConvLSTMCell' not in CELLS.module_dict
    cfg = Config.fromfile(str(config))  # imports the plugin
    model = MODELS.build(cfg.model)
    cell = model.neck.cells[0]
    assert type(cell).__name__ == 'DoubledConvLSTMCell'
    x = torch.randn(1, 1, 4, 4)
    out, _, _ = cell(x, cell.init_states(x))
    plain, _, _ = super(type(cell), cell).forward(x, cell.init_states(x))
    torch.testing.assert_close(out['h'], 2 * plain['h'])
