"""tools/misc/list_modules.py --custom-imports, and a plugin module outside
any package used from a config (docs/tools.md), run as a user would."""
import os
import os.path as osp
import shutil
import subprocess
import tempfile
import textwrap

from tool_runner import PYTHON, REPO_ROOT, TINY_CONFIG, run_tool

LIST_MODULES = 'tools/misc/list_modules.py'
PLUGIN = 'projects/example_plugin/stpredict_example_plugin'

MODULE = textwrap.dedent('''
    """A plugin module outside any package."""
    from stpredict.models.cells import ConvLSTMCell
    from stpredict.registry import CELLS


    @CELLS.register_module()
    class PlainModuleCell(ConvLSTMCell):
        """A ConvLSTM cell registered by a plain module."""
    ''')


def cell_lines(output):
    return [line.split()[0] for line in output.splitlines()
            if line.startswith('  ')]


def test_package_folder_components_are_marked(tmp_path):
    _, output = run_tool(PYTHON, LIST_MODULES, '--custom-imports', PLUGIN,
                         '--custom-only', '--registry', 'cells', 'models')
    assert 'imported: stpredict_example_plugin' in output
    assert 'cells (CELLS, 1 from --custom-imports)' in output
    (line, ) = [line for line in output.splitlines() if 'ConvGRUCell' in line]
    assert line.endswith('[from stpredict_example_plugin.conv_gru]')
    # only what the import registered, not stpredict's own components
    assert cell_lines(output) == ['ConvGRUCell', '(none)']


def test_plain_module_by_path_or_pythonpath(tmp_path):
    folder = tmp_path / 'plugins'
    folder.mkdir()
    (folder / 'my_cells.py').write_text(MODULE)
    # by path
    _, output = run_tool(PYTHON, LIST_MODULES, '--custom-imports',
                         str(folder / 'my_cells.py'), '--registry', 'cells')
    (line, ) = [line for line in output.splitlines()
                if 'PlainModuleCell' in line]
    assert line.endswith('[from my_cells]')
    assert 'ConvLSTMCell' in cell_lines(output)  # the full list
    # by name: not found ...
    code, output = run_tool(PYTHON, LIST_MODULES, '--custom-imports',
                            'my_cells', check=False)
    assert code == 1
    assert "cannot import 'my_cells'" in output and 'PYTHONPATH' in output
    assert 'Traceback' not in output
    # ... until its folder is on PYTHONPATH, for a config as well
    config = tmp_path / 'plugin_config.py'
    config.write_text(textwrap.dedent(f'''
        _base_ = [{osp.join(REPO_ROOT, TINY_CONFIG)!r}]
        custom_imports = dict(imports=['my_cells'],
                              allow_failed_imports=False)
        model = dict(neck=dict(cell=dict(type='PlainModuleCell')))
        '''))
    env = dict(PYTHONPATH=str(folder))
    _, output = run_tool(PYTHON, LIST_MODULES, '--custom-imports',
                         'my_cells', '--custom-only', '--registry', 'cells',
                         env=env)
    assert cell_lines(output) == ['PlainModuleCell']
    _, output = run_tool(PYTHON, 'tools/misc/print_config.py', str(config),
                         env=env)
    assert "type='PlainModuleCell'" in output


def test_module_in_the_repository_by_its_dotted_path(tmp_path):
    """A module under the repository root, imported as folder.module from
    any working directory (the tools put the root on sys.path)."""
    os.makedirs(osp.join(REPO_ROOT, 'work_dirs'), exist_ok=True)
    folder = tempfile.mkdtemp(prefix='plugin_test_',
                              dir=osp.join(REPO_ROOT, 'work_dirs'))
    try:
        with open(osp.join(folder, 'repo_cells.py'), 'w') as file:
            file.write(MODULE.replace('PlainModuleCell', 'RepoModuleCell'))
        dotted = f'work_dirs.{osp.basename(folder)}.repo_cells'
        config = tmp_path / 'repo_plugin_config.py'
        config.write_text(textwrap.dedent(f'''
            _base_ = [{osp.join(REPO_ROOT, TINY_CONFIG)!r}]
            custom_imports = dict(imports=[{dotted!r}],
                                  allow_failed_imports=False)
            model = dict(neck=dict(cell=dict(type='RepoModuleCell')))
            '''))
        # run from elsewhere, without PYTHONPATH
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
        result = subprocess.run(
            [PYTHON, osp.join(REPO_ROOT, 'tools/misc/print_config.py'),
             str(config)], cwd=str(tmp_path), env=env, capture_output=True,
            text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "type='RepoModuleCell'" in result.stdout
    finally:
        shutil.rmtree(folder)


def test_missing_path(tmp_path):
    code, output = run_tool(PYTHON, LIST_MODULES, '--custom-imports',
                            str(tmp_path / 'nothing.py'), check=False)
    assert code == 1 and 'nothing.py does not exist' in output
