"""Find unknown component names in a config before anything is built.

mmengine reports an unknown ``type`` only when it reaches it, which for a
metric or a hook can be after hours of training, and without suggesting
the name that was meant. :func:`check_registry_names` walks the whole
config once, before the Runner starts, and names every unknown ``type``
with its place in the config and the closest registered names.
"""
import difflib
from typing import Any, Dict, Iterator, List, Optional, Tuple

from mmengine.registry import Registry

from stpredict import registry as stpredict_registry

#: Config keys whose ``type`` is looked up in one known registry.
KEY_REGISTRY = {
    'model': 'MODELS',
    'data_preprocessor': 'MODELS',
    'stem': 'MODELS',
    'head': 'MODELS',
    'loss': 'MODELS',
    'neck': 'NECKS',
    'cell': 'CELLS',
    'transfer': 'TRANSFERS',
    'dataset': 'DATASETS',
    'sampler': 'DATA_SAMPLERS',
    'pipeline': 'TRANSFORMS',
    'val_evaluator': 'METRICS',
    'test_evaluator': 'METRICS',
    'optimizer': 'OPTIMIZERS',
    'optim_wrapper': 'OPTIM_WRAPPERS',
    'param_scheduler': 'PARAM_SCHEDULERS',
    'default_hooks': 'HOOKS',
    'custom_hooks': 'HOOKS',
    'visualizer': 'VISUALIZERS',
    'vis_backends': 'VISBACKENDS',
    'log_processor': 'LOG_PROCESSORS',
    'model_wrapper_cfg': 'MODEL_WRAPPERS',
}


class UnknownComponentError(KeyError):
    """A config names a component that no registry knows."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _registries() -> Dict[str, Registry]:
    return {
        name: value
        for name, value in vars(stpredict_registry).items()
        if isinstance(value, Registry)
    }


def _names(registry: Registry) -> List[str]:
    """Every name reachable from ``registry`` (its own and its parents')."""
    names: List[str] = []
    current: Optional[Registry] = registry
    while current is not None:
        current.import_from_location()
        names.extend(current.module_dict)
        current = current.parent
    return names


def _walk(node: Any, path: str, hint: Optional[str]
          ) -> Iterator[Tuple[str, str, Optional[str]]]:
    """Yield ``(path, type name, registry)`` of every dict that a known
    registry builds (other dicts with a ``type`` key are left alone: they
    may be options of a component, not components)."""
    if isinstance(node, dict):
        kind = node.get('type')
        if isinstance(kind, str) and hint is not None:
            yield path, kind, hint
        for key, value in node.items():
            if key == 'type' or key.startswith('_'):
                continue
            child = f'{path}.{key}' if path else str(key)
            yield from _walk(value, child, KEY_REGISTRY.get(key))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk(value, f'{path}.{index}', hint)


def suggest(name: str, candidates: List[str], limit: int = 3) -> List[str]:
    """Registered names close to ``name`` (typos, case, a dropped suffix).

    Args:
        name (str): The unknown name.
        candidates (list[str]): The registered names.
        limit (int): At most this many suggestions. Defaults to 3.

    Returns:
        list[str]: The suggestions, best first.
    """
    unique = sorted(set(candidates))
    lower = {c.lower(): c for c in unique}
    found: List[str] = []
    if name.lower() in lower:
        found.append(lower[name.lower()])
    for match in difflib.get_close_matches(
            name.lower(), list(lower), n=limit, cutoff=0.6):
        if lower[match] not in found:
            found.append(lower[match])
    for candidate in unique:  # 'ConvLSTM' for 'ConvLSTMCell' and back
        if (candidate.lower().startswith(name.lower()) or
                name.lower().startswith(candidate.lower())) and \
                len(min(candidate, name, key=len)) >= 4 and \
                candidate not in found:
            found.append(candidate)
    return found[:limit]


def check_registry_names(cfg: Any) -> None:
    """Raise on the first ``type`` that no registry knows.

    Names with a scope (``'mmengine.SomeHook'``) and classes given as
    objects are left to mmengine.

    Args:
        cfg (Config | dict): The merged config.

    Raises:
        UnknownComponentError: Naming the place in the config, the unknown
            name, the registry it was looked up in and close names.
    """
    registries = _registries()
    for path, name, hint in _walk(dict(cfg), '', None):
        if '.' in name or hint not in registries:
            continue
        # components may live in a sibling registry (a neck built by the
        # model, a norm layer from mmengine's MODELS): any registry will do
        if any(registry.get(name) is not None
               for registry in registries.values()):
            continue
        candidates = _names(registries[hint])
        where = f'the {hint} registry'
        close = suggest(name, candidates)
        hint_text = (f' Did you mean {" or ".join(repr(c) for c in close)}?'
                     if close else '')
        raise UnknownComponentError(
            f'{path}.type={name!r} is not in {where}.{hint_text} List the '
            'registered names with python tools/misc/list_modules.py; a '
            'component from your own package needs custom_imports=dict('
            "imports=['your_package']) in the config.")


__all__ = ['UnknownComponentError', 'check_registry_names', 'suggest']
