import pytest
import torch

from stpredict.models.cells import BaseCell, ConvLSTMCell
from stpredict.registry import CELLS, NECKS


class RecordingCell(BaseCell):
    """A cell whose outputs reveal what the neck fed it.

    h = x.mean + 10 * diagonal.mean + 100 * memory.mean (broadcast), and the
    memory it passes on is memory + 1.
    """
    state_names = ('h', )
    uses_memory = True
    uses_diagonal = True

    def forward(self, x, states, memory=None, diagonal=None):
        value = x.mean(dim=(1, 2, 3), keepdim=True)
        if diagonal is not None:
            value = value + 10 * diagonal.mean(dim=(1, 2, 3), keepdim=True)
        value = value + 100 * memory.mean(dim=(1, 2, 3), keepdim=True)
        h = value.expand(-1, self.hidden_channels, *x.shape[-2:])
        return dict(h=h.contiguous()), memory + 1, dict(seen=value)


CELLS.register_module('RecordingCellForTest', module=RecordingCell,
                      force=True)


def test_layers_are_chained_like_cells_by_hand():
    torch.manual_seed(0)
    neck = NECKS.build(
        dict(type='SingleScaleStack', cell=dict(type='ConvLSTMCell',
                                                kernel_size=3),
             in_channels=2, hidden_channels=[4, 6, 5], num_layers=3))
    assert [c.in_channels for c in neck.cells] == [2, 4, 6]
    assert neck.out_channels == 5
    x1, x2 = torch.randn(2, 1, 2, 8, 8).unbind(0)
    state = neck.init_state(x1)
    out1, state, aux = neck(x1, state)
    out2, state, _ = neck(x2, state)
    assert len(aux) == 3

    # the same two steps, cell by cell
    manual = [cell.init_states(torch.zeros(1, cell.in_channels, 8, 8))
              for cell in neck.cells]
    for x in (x1, x2):
        inp = x
        for layer, cell in enumerate(neck.cells):
            if manual[layer]['h'].shape[0] != x.shape[0]:
                manual[layer] = cell.init_states(
                    torch.zeros(x.shape[0], cell.in_channels, 8, 8))
            manual[layer], _, _ = cell(inp, manual[layer])
            inp = manual[layer]['h']
    torch.testing.assert_close(out2, inp)
    torch.testing.assert_close(state['layers'][1]['c'], manual[1]['c'])


def test_zigzag_memory_and_diagonal_wiring():
    neck = NECKS.build(
        dict(type='SingleScaleStack', cell=dict(type='RecordingCellForTest'),
             in_channels=1, hidden_channels=1, num_layers=3))
    x = torch.ones(1, 1, 2, 2)
    state = neck.init_state(x)
    assert state['memory'].shape == (1, 1, 2, 2)
    _, state, aux = neck(x, state)
    # step 0: memory enters at 0 and gains 1 per layer; diagonal is the
    # zero initial state of the layer below
    seen = [a['seen'].item() for a in aux]
    assert seen[0] == pytest.approx(1 + 0)
    assert seen[1] == pytest.approx(seen[0] + 100 * 1)
    assert seen[2] == pytest.approx(seen[1] + 100 * 2)
    assert state['memory'].mean().item() == 3  # the top layer's memory
    prev = [s['h'].mean().item() for s in state['layers']]
    _, state, aux = neck(x, state)
    seen = [a['seen'].item() for a in aux]
    # step 1: layer 0 gets the top layer's memory from the previous step
    assert seen[0] == pytest.approx(1 + 100 * 3)
    # layer l gets layer l-1's output at the previous step as diagonal
    assert seen[1] == pytest.approx(seen[0] + 10 * prev[0] + 100 * 4)
    assert seen[2] == pytest.approx(seen[1] + 10 * prev[1] + 100 * 5)


def test_per_layer_lists_must_match_num_layers():
    with pytest.raises(ValueError, match='num_layers is 3'):
        NECKS.build(dict(type='SingleScaleStack',
                         cell=dict(type='ConvLSTMCell'), in_channels=1,
                         hidden_channels=[4, 4], num_layers=3))


def test_per_layer_cells():
    neck = NECKS.build(
        dict(type='SingleScaleStack',
             cell=[dict(type='ConvLSTMCell', kernel_size=5),
                   dict(type='ConvLSTMCell', kernel_size=3)],
             in_channels=1, hidden_channels=4, num_layers=2))
    assert [c.kernel_size for c in neck.cells] == [(5, 5), (3, 3)]
    assert isinstance(neck.cells[0], ConvLSTMCell)
