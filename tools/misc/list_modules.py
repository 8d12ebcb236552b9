"""List the components registered in stpredict, with one line of doc each.

Every module of stpredict is imported (``register_all_modules``), then the
chosen registries of ``stpredict.registry`` are listed: the name to use as
``type=`` in a config and the first line of the component's docstring.
Only stpredict's registries are listed (with the components of plugins
imported by ``--custom-imports``, marked ``[from <module>]``), not what
configs also find in mmengine (optimizers, loops, mmengine's hooks, ...).

``--custom-imports`` imports plugin modules first, as a config's
``custom_imports = dict(imports=[...])`` does: module names (found on
``sys.path``: installed packages, ``PYTHONPATH``, the repository root) or
paths of a ``.py`` file or a package folder (imported by name from their
folder, which is put on ``sys.path``).

Usage:
    python tools/misc/list_modules.py [--registry NAME [NAME ...]]
        [--custom-imports MOD [MOD ...]] [--custom-only]

Examples:
    python tools/misc/list_modules.py
    python tools/misc/list_modules.py --registry cells necks
    python tools/misc/list_modules.py --custom-imports stpredict_example_plugin --custom-only
    python tools/misc/list_modules.py --custom-imports plugins/my_cells.py --registry cells
"""  # noqa: E501
import argparse
import importlib
import inspect
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import List, Optional, Sequence

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

#: Choices of --registry: the name shown and the registry of
#: stpredict.registry.
REGISTRIES = OrderedDict(
    cells='CELLS',
    necks='NECKS',
    transfers='TRANSFERS',
    datasets='DATASETS',
    transforms='TRANSFORMS',
    metrics='METRICS',
    models='MODELS',
    hooks='HOOKS',
    optim_wrappers='OPTIM_WRAPPERS',
)


def first_doc_line(obj, max_chars: int = 100) -> str:
    """The summary of an object's docstring: its first paragraph on one
    line, at most ``max_chars`` long ('' if there is no docstring)."""
    doc = inspect.getdoc(obj) or ''
    paragraph = doc.strip().split('\n\n')[0]
    text = ' '.join(paragraph.split())
    if len(text) > max_chars:
        text = text[:max_chars - 3].rstrip() + '...'
    return text


class CustomImportError(ImportError):
    """A ``--custom-imports`` module cannot be imported."""


def import_custom(modules: Sequence[str]) -> List[str]:
    """Import plugin modules so that their components register.

    Args:
        modules (Sequence[str]): Module names (``my_plugin``,
            ``my_plugin.cells``) or paths of a ``.py`` file or a package
            folder.

    Returns:
        list[str]: The names under which the modules were imported.

    Raises:
        CustomImportError: Naming the module, the cause and how to make it
            importable.
    """
    names = []
    for module in modules:
        is_path = module.endswith('.py') or os.sep in module or (
            osp.altsep and osp.altsep in module) or osp.isdir(module)
        if is_path:
            path = osp.abspath(module.rstrip('/\\'))
            if not osp.exists(path):
                raise CustomImportError(
                    f'--custom-imports {module}: {path} does not exist. Give '
                    'the path of a .py file or a package folder, or a module '
                    'name found on sys.path.')
            folder, base = osp.split(path)
            name = osp.splitext(base)[0] if base.endswith('.py') else base
            if folder not in sys.path:
                sys.path.insert(0, folder)
        else:
            name = module
        try:
            importlib.import_module(name)
        except ImportError as error:
            where = 'its folder' if is_path else \
                'the folder that contains it'
            raise CustomImportError(
                f'--custom-imports {module}: cannot import {name!r} '
                f'({type(error).__name__}: {error}). Install its package '
                f'(pip install -e PATH), put {where} on PYTHONPATH '
                f'(PYTHONPATH=FOLDER python tools/misc/list_modules.py '
                f'--custom-imports {name}) or give the path of the file '
                '(--custom-imports FOLDER/module.py).') from error
        names.append(name)
    return names


def registered_names() -> dict:
    """``{registry name: set of component names}`` of :data:`REGISTRIES`."""
    from stpredict import registry as stp_registry
    return {
        name: set(getattr(stp_registry, attr).module_dict)
        for name, attr in REGISTRIES.items()
    }


def registry_table(name: str, plugins: Optional[set] = None,
                   custom_only: bool = False) -> str:
    """The lines listing one registry.

    Args:
        name (str): A key of :data:`REGISTRIES`.
        plugins (set, optional): Names registered by ``--custom-imports``;
            their lines end with ``[from <module>]``. Defaults to None.
        custom_only (bool): List only those. Defaults to False.

    Returns:
        str: A header line and one line per component.
    """
    from stpredict import registry as stp_registry
    registry = getattr(stp_registry, REGISTRIES[name])
    plugins = plugins or set()
    modules = sorted(registry.module_dict.items())
    if custom_only:
        modules = [(key, obj) for key, obj in modules if key in plugins]
    kind = 'from --custom-imports' if custom_only else 'registered'
    lines = [f'{name} ({REGISTRIES[name]}, {len(modules)} {kind})']
    if not modules:
        lines.append('  (none)')
    width = max((len(key) for key, _ in modules), default=0)
    for key, obj in modules:
        origin = f'  [from {obj.__module__}]' if key in plugins else ''
        lines.append(
            f'  {key.ljust(width)}  {first_doc_line(obj)}{origin}'.rstrip())
    return '\n'.join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='List the cells, necks, transfers, datasets, metrics, '
        'models and hooks registered in stpredict.',
        epilog='Example: python tools/misc/list_modules.py --registry cells')
    parser.add_argument(
        '--registry',
        nargs='+',
        default=['all'],
        choices=list(REGISTRIES) + ['all'],
        help='registries to list (default: all)')
    parser.add_argument(
        '--custom-imports',
        nargs='+',
        default=[],
        metavar='MOD',
        help='plugin modules to import first, as a config\'s custom_imports: '
        'module names, or paths of a .py file or a package folder')
    parser.add_argument(
        '--custom-only',
        action='store_true',
        help='list only the components that --custom-imports registered')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    from stpredict.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    before = registered_names()
    try:
        imported = import_custom(args.custom_imports)
    except CustomImportError as error:
        print(f'list_modules.py: error: {error}', file=sys.stderr)
        return 1
    after = registered_names()
    names = list(REGISTRIES) if 'all' in args.registry else list(
        dict.fromkeys(args.registry))
    if imported:
        print(f'imported: {", ".join(imported)}\n')
    print('\n\n'.join(
        registry_table(name, after[name] - before[name], args.custom_only)
        for name in names))
    return 0


if __name__ == '__main__':
    sys.exit(main())
