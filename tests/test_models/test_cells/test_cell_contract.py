"""The cell contract (``BaseCell``), tested for every registered cell.

The tests are parametrized from the ``CELLS`` registry when they are
collected, so a cell is tested the moment it is registered: stpredict's
cells and those of plugins imported here (the example plugin's
``ConvGRUCell`` when it is installed). Each cell's own test file checks its
equations; this file checks, per cell:

- it builds from a config dict;
- its states follow the input (names, batch, dtype, zeros, shapes kept);
- no state survives between calls (same output for the same input after an
  unrelated call; no tensor attributes on any of its modules);
- gradients reach every parameter (with every optional parameter on);
- the frame sizes it declares work and others fail with a clear error;
- it runs in a single-scale stack and in a multi-scale pyramid, and through
  the ``RecurrentPredictor`` (loss and backward);
- a few cells also train one iteration through the mmengine Runner.

Cells that read extra inputs get them as a neck gives them: the zigzag
memory, the diagonal input ``H^{l-1}_{t-1}`` (a cell that needs it sits
above another cell in a neck) and a memory bank (random source memories).
"""
import copy
import inspect
import os.path as osp
from typing import Any, Dict, List

import pytest
import torch

from stpredict.models.cells import BaseCell
from stpredict.registry import CELLS, MODELS, NECKS
from stpredict.testing import train_briefly
from stpredict.utils import register_all_modules

register_all_modules(init_default_scope=False)
try:  # a plugin's cells join the registry when it is imported
    import stpredict_example_plugin  # noqa: F401
except ImportError:  # pragma: no cover - depends on the install
    pass

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
TINY = osp.join(ROOT, 'configs', 'convlstm',
                'convlstm_2x32_flying2digits-10to10_tiny.py')

#: Construction options of the tests, per registered name, beyond
#: ``in_channels=3, hidden_channels=4, kernel_size=3``: small, and between
#: them turning on every optional parameter (the gradient test checks them
#: all). The neck, predictor and runner tests use the first entry. A cell
#: not listed is built with its defaults; a cell that takes ``norm`` and
#: ``spatial_size`` is also tested with ``norm='layer'``.
OPTIONS: Dict[str, List[dict]] = {
    'CausalLSTMCell': [dict(norm='group'),
                       dict(highway=True, norm='group')],
    'CMSLSTMCell': [dict(norm='group')],
    'ConvLSTMCell': [dict(peephole=True, norm='group')],
    'E3DLSTMCell': [dict(tau=2), dict(tau=2, norm='group')],
    'MAUCell': [dict(tau=2), dict(tau=2, norm='group')],
    'MemoryTransferWrapper': [
        dict(cell=dict(type='SpatioTemporalLSTMCell', kernel_size=3),
             gate_kernel_size=3),
        dict(cell=dict(type='SpatioTemporalLSTMCell', kernel_size=3),
             gate_kernel_size=3, distiller_norm='layer', spatial_size=(5, 6))
    ],
    'MIMCell': [dict(norm='group', forget_bias=1.0)],
    'MoDeRNNCell': [dict(norm='group')],
    # the Motion Highway adds the input to the output: equal channels
    'MotionMIMCell': [dict(in_channels=4)],
    'PrecipLSTMCell': [dict(window_size=3, norm='group')],
    'SpatioTemporalLSTMCell': [dict(norm='group')],
    'SpatioTemporalLSTMv2Cell': [dict(norm='group')],
    'TMUCell': [dict(norm='group')],
    'TrajGRUCell': [dict(num_links=2, activation='tanh')],
}
#: Cells that also train one iteration through the Runner (a runner step
#: takes 1-4 s on CPU): one with the zigzag memory and the diagonal input
#: (over an ST-LSTM), one that takes a memory bank (trained without
#: sources), one whose output is a clip, and the example plugin's cell.
RUNNER_CELLS = ('MIMCell', 'TMUCell', 'E3DLSTMCell', 'ConvGRUCell')


def registered_cells() -> List[str]:
    """One registered name per cell class (aliases left out)."""
    names: Dict[type, str] = {}
    for name, cls in sorted(CELLS.module_dict.items()):
        if isinstance(cls, type) and issubclass(cls, BaseCell):
            # the class's own name wins over an alias
            if cls not in names or name == cls.__name__:
                names[cls] = name
    return sorted(names.values())


CELL_NAMES = registered_cells()


def takes(name: str, *params: str) -> bool:
    """Whether the cell's constructor takes every one of ``params``."""
    signature = inspect.signature(CELLS.get(name).__init__).parameters
    return all(p in signature for p in params)


def num_variants(name: str) -> int:
    """The option sets of a cell: the table's, plus a layer-norm one."""
    return len(OPTIONS.get(name, [{}])) + int(takes(name, 'norm',
                                                    'spatial_size'))


VARIANTS = [(name, index) for name in CELL_NAMES
            for index in range(num_variants(name))]
VARIANT_IDS = [f'{name}-{index}' for name, index in VARIANTS]


def cell_config(name: str, index: int = 0) -> dict:
    """The config of option set ``index`` of a cell."""
    cfg = dict(type=name, in_channels=3, hidden_channels=4)
    if takes(name, 'kernel_size'):
        cfg['kernel_size'] = 3
    table = OPTIONS.get(name, [{}])
    if index < len(table):
        cfg.update(copy.deepcopy(table[index]))
        return cfg
    # norm='layer' over [C, H, W] at a size the cell accepts
    cfg.update(copy.deepcopy(table[0]))
    size = claimed_sizes(CELLS.build(cfg))[0]
    cfg.update(norm='layer', spatial_size=size)
    return cfg


def build(name: str, index: int = 0) -> BaseCell:
    torch.manual_seed(0)
    return CELLS.build(cell_config(name, index))


def round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def claimed_sizes(cell: BaseCell) -> List[tuple]:
    """Frame sizes the cell declares it accepts (see ``BaseCell``)."""
    if cell.frame_size is not None:
        return [tuple(cell.frame_size)]
    step = cell.frame_multiple
    low = round_up(max(cell.min_frame_size, 5), step)
    smallest = round_up(cell.min_frame_size, step)
    return [(low, low + step), (smallest, smallest)]


def unclaimed_sizes(cell: BaseCell) -> List[tuple]:
    """Frame sizes the cell declares it refuses."""
    if cell.frame_size is not None:
        height, width = cell.frame_size
        return [(height + 1, width), (height, width + 2)]
    sizes = []
    step, low = cell.frame_multiple, cell.min_frame_size
    if step > 1:
        sizes.append((round_up(low, step) + 1, round_up(low, step)))
    if low > 1:
        sizes.append((low - 1, low))
    return sizes


def step_inputs(cell: BaseCell, x: torch.Tensor,
                states: Dict[str, torch.Tensor],
                generator: torch.Generator) -> Dict[str, Any]:
    """The extra inputs a neck would give the cell at one step."""
    kwargs: Dict[str, Any] = {}
    if cell.uses_diagonal:  # the output of the layer below at t - 1
        kwargs['diagonal'] = torch.randn(
            x.shape, generator=generator, dtype=x.dtype)
    if cell.uses_memory_bank:  # shaped like the memory the bank feeds
        like = states[getattr(cell, 'memory_state', 'c')]
        kwargs['bank'] = [
            torch.randn(like.shape, generator=generator, dtype=x.dtype)
            for _ in range(cell.num_sources)
        ]
    return kwargs


def run_steps(cell: BaseCell, inputs: List[torch.Tensor], seed: int = 0):
    """Run the cell from zero states over ``inputs``; return every step's
    ``(states, memory, aux)``."""
    generator = torch.Generator().manual_seed(seed)
    states = cell.init_states(inputs[0])
    memory = cell.init_memory(inputs[0]) if cell.uses_memory else None
    steps = []
    for x in inputs:
        kwargs = step_inputs(cell, x, states, generator)
        if cell.uses_memory:
            kwargs['memory'] = memory
        states, memory, aux = cell(x, states, **kwargs)
        steps.append((states, memory, aux))
    return steps


def random_inputs(cell: BaseCell, size: tuple, steps: int = 3,
                  seed: int = 0, dtype=torch.float32) -> List[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [
        torch.randn(2, cell.in_channels, *size, generator=generator,
                    dtype=dtype) for _ in range(steps)
    ]


def aux_losses(aux: Dict[str, Any]) -> torch.Tensor:
    """The aux terms that the predictor adds to the training loss."""
    return sum(value.sum() for key, value in aux.items()
               if key.startswith('loss_'))


def assert_same(a: Any, b: Any, where: str) -> None:
    """Equal tensors in equal nested dicts/lists/tuples."""
    if isinstance(a, torch.Tensor):
        torch.testing.assert_close(a, b, msg=lambda m: f'{where}: {m}')
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for key in a:
            assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


# ----------------------------------------------------------------------
# the cell on its own
# ----------------------------------------------------------------------
def test_every_cell_is_tested():
    assert {'ConvLSTMCell', 'SpatioTemporalLSTMCell', 'TMUCell'} <= set(
        CELL_NAMES)
    unknown = set(OPTIONS) - set(CELL_NAMES)
    assert not unknown, f'OPTIONS names cells that are not registered: ' \
        f'{unknown}'


@pytest.mark.parametrize('name', CELL_NAMES)
def test_built_from_a_config_dict(name):
    cfg = cell_config(name)
    cell = CELLS.build(copy.deepcopy(cfg))
    assert type(cell) is CELLS.get(name)
    assert isinstance(cell, BaseCell)
    assert (cell.in_channels, cell.hidden_channels) == (
        cfg['in_channels'], cfg['hidden_channels'])
    assert cell.output_state in cell.state_names
    assert cell.out_channels == cell.state_channels(cell.output_state)
    assert cell.frame_multiple >= 1 and cell.min_frame_size >= 1


@pytest.mark.parametrize('name', CELL_NAMES)
def test_states_follow_the_input(name):
    cell = build(name).double()
    size = claimed_sizes(cell)[0]
    x = random_inputs(cell, size, steps=1, dtype=torch.float64)[0]
    states = cell.init_states(x)
    assert set(states) == set(cell.state_names)
    for key, value in states.items():
        assert value.dtype == torch.float64 and value.shape[0] == 2, key
        assert value.shape[1] == cell.state_channels(key), key
        assert value.device == x.device and value.abs().sum() == 0, key
    new_states, memory, _ = run_steps(cell, [x])[0]
    assert set(new_states) == set(states)
    for key, value in new_states.items():  # states keep their shapes
        assert value.shape == states[key].shape, key
        assert value.dtype == torch.float64, key
    assert new_states[cell.output_state].shape == (2, cell.out_channels,
                                                   *size)
    if cell.uses_memory:
        assert memory.shape == cell.init_memory(x).shape
        assert memory.shape[0] == 2 and memory.dtype == torch.float64


@pytest.mark.parametrize('name,index', VARIANTS, ids=VARIANT_IDS)
def test_no_state_survives_between_calls(name, index):
    cell = build(name, index)
    size = claimed_sizes(cell)[0]
    inputs = random_inputs(cell, size, steps=2)
    first = run_steps(cell, inputs)
    run_steps(cell, random_inputs(cell, size, seed=1), seed=1)  # unrelated
    again = run_steps(cell, inputs)
    assert_same(first, again, name)
    for module_name, module in cell.named_modules():
        kept = [
            key for key, value in vars(module).items()
            if isinstance(value, torch.Tensor)
            and not isinstance(value, torch.nn.Parameter)
            and not key.startswith('_')
        ]
        assert not kept, f'{name}.{module_name} keeps tensors {kept}'


@pytest.mark.parametrize('name,index', VARIANTS, ids=VARIANT_IDS)
def test_gradients_reach_every_parameter(name, index):
    cell = build(name, index)
    inputs = random_inputs(cell, claimed_sizes(cell)[0])
    steps = run_steps(cell, inputs)
    states, memory, _ = steps[-1]
    loss = states[cell.output_state].sum()
    if memory is not None:
        loss = loss + memory.sum()
    loss = loss + sum(aux_losses(aux) for _, _, aux in steps)
    loss.backward()
    for param_name, param in cell.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, \
            param_name


@pytest.mark.parametrize('name,index', VARIANTS, ids=VARIANT_IDS)
def test_declared_frame_sizes(name, index):
    cell = build(name, index)
    for size in claimed_sizes(cell):
        x = random_inputs(cell, size, steps=1)[0]
        states, _, _ = run_steps(cell, [x])[0]
        assert states[cell.output_state].shape[-2:] == size
    for size in unclaimed_sizes(cell):
        x = random_inputs(cell, size, steps=1)[0]
        cell.check_frame_size(*claimed_sizes(cell)[0])
        with pytest.raises(ValueError, match=f'{type(cell).__name__}.*Fix'):
            cell.check_frame_size(*size)
        with pytest.raises(ValueError, match='Fix'):
            cell.init_states(x)


# ----------------------------------------------------------------------
# the cell in a model
# ----------------------------------------------------------------------
def layer_configs(name: str, num_layers: int) -> List[dict]:
    """Per-layer configs of a stack of the cell (the neck fills in the
    channels). A cell that reads the diagonal input needs a layer below
    it: layer 0 is then an ST-LSTM (or a ConvLSTM for a cell without the
    zigzag memory)."""
    cfg = cell_config(name)
    for key in ('in_channels', 'hidden_channels'):
        cfg.pop(key)
    cfgs = [copy.deepcopy(cfg) for _ in range(num_layers)]
    cls = CELLS.get(name)
    if cls.uses_diagonal:
        below = 'SpatioTemporalLSTMCell' if cls.uses_memory else \
            'ConvLSTMCell'
        cfgs[0] = dict(type=below, kernel_size=3)
    return cfgs


NECK_CASES = [('SingleScaleStack', 3, None), ('MultiScalePyramid', 4,
                                              [1, 2, 2, 1])]


@pytest.mark.parametrize('neck_type,num_layers,scales', NECK_CASES,
                         ids=[case[0] for case in NECK_CASES])
@pytest.mark.parametrize('name', CELL_NAMES)
def test_in_a_neck(name, neck_type, num_layers, scales):
    torch.manual_seed(0)
    cfg = dict(type=neck_type, cell=layer_configs(name, num_layers),
               in_channels=3, hidden_channels=4, num_layers=num_layers)
    if scales:
        cfg['scales'] = scales
    neck = NECKS.build(cfg)
    divisor = max(neck.scales)
    size = tuple(divisor * s for s in claimed_sizes(neck.cells[-1])[0])
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, *size, generator=generator)
    state = neck.init_state(x)
    loss = 0
    for _ in range(3):
        context = [
            dict(bank=step_inputs(cell, x, layer_states, generator)['bank'])
            if cell.uses_memory_bank else None
            for cell, layer_states in zip(neck.cells, state['layers'])
        ]
        x = torch.randn(2, 3, *size, generator=generator)
        out, state, aux = neck(x, state, context)
        assert out.shape == (2, neck.out_channels, *size)
        loss = loss + sum(aux_losses(layer_aux) for layer_aux in aux)
    for layer, (cell, states) in enumerate(zip(neck.cells, state['layers'])):
        expected = tuple(s // neck.scales[layer] for s in size)
        assert states[cell.output_state].shape[-2:] == expected, layer
    (out.sum() + loss).backward()
    for param_name, param in neck.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, \
            param_name


@pytest.mark.parametrize('name', CELL_NAMES)
def test_through_the_predictor(name):
    torch.manual_seed(0)
    probe = build(name)
    size = claimed_sizes(probe)[0]
    model = MODELS.build(
        dict(
            type='RecurrentPredictor',
            input_frames=2,
            output_frames=2,
            in_channels=1,
            data_preprocessor=dict(
                type='SequenceDataPreprocessor', patch_size=1),
            stem=dict(type='Conv2d', out_channels=3, kernel_size=1),
            neck=dict(
                type='SingleScaleStack',
                cell=layer_configs(name, 2),
                num_layers=2,
                hidden_channels=4),
            head=dict(type='Conv2d', kernel_size=1)))
    frames = torch.rand(2, 4, 1, *size)
    losses = model(frames, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    for param_name, param in model.neck.cells[-1].named_parameters():
        assert param.grad is not None, param_name
    with torch.no_grad():
        prediction = model(frames[:, :2], mode='tensor')
    assert prediction.shape[-2:] == size


RUNNER_CASES = [name for name in RUNNER_CELLS if name in CELL_NAMES]


@pytest.mark.parametrize('name', RUNNER_CASES)
def test_one_runner_iteration(name, tmp_path):
    layers = layer_configs(name, 2)
    config = tmp_path / f'{name}_tiny.py'
    config.write_text(
        f'_base_ = [{TINY!r}]\n'
        f'custom_imports = dict(imports={[CELLS.get(name).__module__]!r}, '
        'allow_failed_imports=False)\n'
        f'model = dict(neck=dict(cell={layers!r}, hidden_channels=4))\n')
    runner = train_briefly(
        str(config), str(tmp_path / 'work'), iterations=1, num_sequences=2)
    assert runner.iter == 1
    assert type(runner.model.neck.cells[-1]) is CELLS.get(name)
