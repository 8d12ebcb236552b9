"""List the components registered in stpredict, with one line of doc each.

Every module of stpredict is imported (``register_all_modules``), then the
chosen registries of ``stpredict.registry`` are listed: the name to use as
``type=`` in a config and the first line of the component's docstring.
Only stpredict's own components are listed, not those that configs also
find in mmengine (optimizers, loops, mmengine's hooks, ...).

Usage:
    python tools/misc/list_modules.py [--registry NAME [NAME ...]]

Examples:
    python tools/misc/list_modules.py
    python tools/misc/list_modules.py --registry cells necks
"""
import argparse
import inspect
import os.path as osp
import sys
from collections import OrderedDict

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


def registry_table(name: str) -> str:
    """The lines listing one registry."""
    from stpredict import registry as stp_registry
    registry = getattr(stp_registry, REGISTRIES[name])
    modules = sorted(registry.module_dict.items())
    lines = [f'{name} ({REGISTRIES[name]}, {len(modules)} registered)']
    if not modules:
        lines.append('  (none)')
    width = max((len(key) for key, _ in modules), default=0)
    for key, obj in modules:
        lines.append(f'  {key.ljust(width)}  {first_doc_line(obj)}'.rstrip())
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
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from stpredict.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    names = list(REGISTRIES) if 'all' in args.registry else list(
        dict.fromkeys(args.registry))
    print('\n\n'.join(registry_table(name) for name in names))
    return 0


if __name__ == '__main__':
    sys.exit(main())
