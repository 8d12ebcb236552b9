"""``stpredict.utils`` stays below the models: no module of it imports them.

The one exception is :func:`stpredict.utils.setup_env.register_all_modules`,
whose job is to import every package so that its components are registered
(as ``mmpretrain.utils.register_all_modules`` does).
"""
import ast
import os
import os.path as osp

UTILS = osp.join(osp.dirname(__file__), '..', '..', 'stpredict', 'utils')
#: (file, function) pairs allowed to import ``stpredict.models``.
ALLOWED = {('setup_env.py', 'register_all_modules')}


def _model_imports(path: str, package: str = 'stpredict.utils'):
    """``(function or '<module>', imported name)`` of every import of
    ``stpredict.models`` in ``path`` (absolute or relative; ``package`` is
    the package the file is in)."""
    with open(path, encoding='utf-8') as file:
        tree = ast.parse(file.read(), path)
    found = []

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = child.name
            names = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                module = child.module or ''
                if child.level:  # from .x / ..x: relative to the package
                    parts = package.split('.')
                    parts = parts[:len(parts) - child.level + 1]
                    module = '.'.join(parts + ([module] if module else []))
                names = [module] + [
                    f'{module}.{alias.name}' for alias in child.names]
            for name in names:
                if name == 'stpredict.models' or name.startswith(
                        'stpredict.models.'):
                    found.append((inner, name))
                    break
            visit(child, inner)

    visit(tree, '<module>')
    return found


def test_no_utils_module_imports_the_models():
    offenders = []
    files = []  # paths relative to stpredict/utils, subpackages included
    for folder, _, names in os.walk(UTILS):
        files += [osp.relpath(osp.join(folder, name), UTILS)
                  for name in names if name.endswith('.py')]
    assert 'setup_env.py' in files
    assert osp.join('checkpoint', 'loading.py') in files  # a subpackage
    for name in sorted(files):
        subpackage = osp.dirname(name).replace(os.sep, '.')
        package = 'stpredict.utils' + ('.' + subpackage if subpackage else '')
        for scope, imported in _model_imports(osp.join(UTILS, name),
                                              package):
            if (name, scope) not in ALLOWED:
                offenders.append(f'{name}:{scope} imports {imported}')
    assert not offenders, offenders


def test_scan_finds_model_imports(tmp_path):
    # the scan must see the kinds of import it is there to catch
    path = tmp_path / 'sample.py'
    path.write_text('import stpredict.models\n'
                    'def f():\n'
                    '    from stpredict.models.transfer import x\n'
                    'def g():\n'
                    '    from ..models import cells\n'
                    'from stpredict import models\n')
    assert [scope for scope, _ in _model_imports(str(path))] == [
        '<module>', 'f', 'g', '<module>']
    assert ('register_all_modules', 'stpredict.models') in _model_imports(
        osp.join(UTILS, 'setup_env.py'))
    # relative imports count from the file's own package
    nested = tmp_path / 'nested.py'
    nested.write_text('from ...models import cells\n'
                      'from ..atomic_io import x\n')
    assert _model_imports(str(nested), 'stpredict.utils.checkpoint') == [
        ('<module>', 'stpredict.models')]
