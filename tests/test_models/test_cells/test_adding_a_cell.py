"""docs/adding_a_cell.md lists exactly the files a new cell touches.

In a scratch copy of the package, the guide's example cell is added by
writing the files of the guide's list and nothing else; the repository's
own checks then pick it up: the contract test, the zoo (its model configs
build) and the rule that every cell module has its test file.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
GUIDE = osp.join(ROOT, 'docs', 'adding_a_cell.md')
MODULE, KEY, CLASS = 'my_gru', 'my_gru', 'MyGRUCell'
CELL_TESTS = 'tests/test_models/test_cells'


def guide_files():
    """The templated paths of the guide's list of touched files."""
    text = open(GUIDE, encoding='utf-8').read()
    block = re.search(r'<!-- the files a new cell touches.*?-->(.*?)<!-- end',
                      text, re.S)
    assert block, 'docs/adding_a_cell.md lost its list of touched files'
    return re.findall(r'^- `([^`]+)`', block.group(1), re.M)


def guide_cell_code():
    """The guide's example cell (its first Python block)."""
    text = open(GUIDE, encoding='utf-8').read()
    return re.findall(r'```python\n(.*?)```', text, re.S)[0]


def write_new_cell(copy_root):
    """Write the files of the guide's list for the guide's example cell;
    return the paths written (relative to the copy)."""
    written = []

    def write(rel, text, append=False):
        path = osp.join(copy_root, rel)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'a' if append else 'w', encoding='utf-8') as file:
            file.write(text)
        written.append(rel)

    write(f'stpredict/models/cells/{MODULE}.py', guide_cell_code())
    init = osp.join(copy_root, 'stpredict/models/cells/__init__.py')
    text = open(init, encoding='utf-8').read()
    text = text.replace('__all__ = [\n', f'from .{MODULE} import {CLASS}\n\n'
                        f"__all__ = [\n    '{CLASS}', ", 1)
    write('stpredict/models/cells/__init__.py', text)
    for setting, base in (('4x64', 'convlstm_4x64.py'),
                          ('6x64_msrnn', 'convlstm_6x64_msrnn.py')):
        config = open(osp.join(ROOT, 'configs/_base_/models', base)).read()
        config = re.sub(r"cell=dict\(type='ConvLSTMCell'",
                        f"cell=dict(type='{CLASS}'", config)
        write(f'configs/_base_/models/{KEY}_{setting}.py', config)
    write(
        f'{CELL_TESTS}/test_{MODULE}_cell.py',
        'import torch\n\n'
        f'from stpredict.models.cells import {CLASS}\n\n\n'
        'def test_one_step_is_a_gru():\n'
        f'    cell = {CLASS}(2, 3, kernel_size=1)\n'
        '    out, _, _ = cell(torch.zeros(1, 2, 4, 4),\n'
        "                     dict(h=torch.zeros(1, 3, 4, 4)))\n"
        "    assert out['h'].shape == (1, 3, 4, 4)\n")
    return written


def test_the_guide_lists_the_files_a_new_cell_needs(tmp_path):
    listed = sorted(
        path.replace('<module>', MODULE).replace('<key>', KEY)
        for path in guide_files())
    copy_root = str(tmp_path / 'repo')
    shutil.copytree(
        osp.join(ROOT, 'stpredict'), osp.join(copy_root, 'stpredict'),
        ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copytree(
        osp.join(ROOT, 'configs', '_base_'),
        osp.join(copy_root, 'configs', '_base_'))
    shutil.copytree(
        osp.join(ROOT, CELL_TESTS), osp.join(copy_root, CELL_TESTS),
        ignore=shutil.ignore_patterns('__pycache__'))
    shutil.copy(osp.join(ROOT, 'tests', 'conftest.py'),
                osp.join(copy_root, 'tests', 'conftest.py'))
    written = write_new_cell(copy_root)
    assert sorted(written) == listed

    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=copy_root)
    result = subprocess.run(
        [
            sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
            f'{CELL_TESTS}/test_{MODULE}_cell.py',
            f'{CELL_TESTS}/test_cell_zoo.py', '-k',
            f'{KEY} or test_file or checked or {CLASS}',
            f'{CELL_TESTS}/test_cell_contract.py'
        ],
        cwd=copy_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # the new cell went through its own test, the zoo and the contract
    ran = re.search(r'(\d+) passed', output)
    assert ran and int(ran.group(1)) >= 10, output[-2000:]
