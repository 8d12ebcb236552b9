"""The cell zoo is read from the cells' own ``zoo`` metadata."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from stpredict.models.cells import BaseCell, ConvLSTMCell, TMUCell
from stpredict.models.cells.zoo import (_entry, cell_zoo, model_config_path,
                                        zoo_entries)
from stpredict.registry import CELLS
from stpredict.utils import register_all_modules

register_all_modules(init_default_scope=False)
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))


def test_the_zoo_lists_the_cells_in_the_order_of_their_papers():
    entries = zoo_entries()
    assert [e.key for e in entries[:3]] == ['convlstm', 'predrnn', 'trajgru']
    assert [e.year for e in entries] == sorted(e.year for e in entries)
    assert len({e.key for e in entries}) == len(entries) == 12
    mim = zoo_entries(['mim'])[0]
    assert (mim.cell, mim.name, mim.msrnn_params) == ('MIMCell', 'MIM', 7.36)
    # a subclass is another cell: TMUCell is not ConvLSTM's entry again
    assert 'zoo' not in vars(TMUCell) and ConvLSTMCell.zoo['key'] == \
        'convlstm'
    assert 'TMUCell' not in {e.cell for e in entries}
    with pytest.raises(ValueError, match=r"Unknown cells \['gru'\]"):
        zoo_entries(['gru'])


@pytest.mark.parametrize('entry', zoo_entries(),
                         ids=[e.key for e in zoo_entries()])
def test_every_zoo_cell_has_its_model_configs(entry):
    for setting in ('predrnn', 'msrnn'):
        path = osp.join(ROOT, model_config_path(entry.key, setting))
        assert osp.isfile(path), path
        cells = Config.fromfile(path).model.neck.cell
        cells = [cells] if isinstance(cells, dict) else cells
        assert CELLS.get(cells[-1]['type']).__name__ == entry.cell


def test_every_cell_module_has_its_test_file():
    """A cell file ``cells/<name>.py`` is tested in ``test_<name>_cell.py``
    (its equations; the contract is tested for every cell at once)."""
    modules = {
        cls.__module__
        for cls in CELLS.module_dict.values()
        if isinstance(cls, type) and issubclass(cls, BaseCell)
        and cls.__module__.startswith('stpredict.models.cells.')
    }
    tests = {
        osp.basename(path)
        for path in glob.glob(osp.join(osp.dirname(__file__), 'test_*.py'))
    }
    missing = [
        module for module in sorted(modules)
        if f"test_{module.rsplit('.', 1)[1]}_cell.py" not in tests
    ]
    assert not missing, f'cell modules without a test file: {missing}'


class _Cell(BaseCell):

    def forward(self, x, states, memory=None, diagonal=None):
        return states, memory, {}


def test_zoo_metadata_is_checked(monkeypatch):
    bad = type('BadZooCell', (_Cell, ), dict(zoo=dict(key='bad')))
    with pytest.raises(ValueError, match=r"BadZooCell.zoo: missing keys "
                       r"\['name', 'year', 'paper'\]"):
        _entry(bad)
    typo = type('TypoCell', (_Cell, ),
                dict(zoo=dict(key='t', name='T', year=2020, paper='P',
                              params=1.0)))
    with pytest.raises(ValueError, match=r"unknown keys \['params'\]"):
        _entry(typo)
    twin = type('TwinCell', (_Cell, ),
                dict(zoo=dict(ConvLSTMCell.zoo, name='Twin')))
    monkeypatch.setitem(CELLS._module_dict, 'TwinCell', twin)
    with pytest.raises(ValueError, match="both declare the zoo key "
                       "'convlstm'"):
        cell_zoo()
