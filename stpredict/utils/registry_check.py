"""Find unknown component names in a config before anything is built.

mmengine reports an unknown ``type`` only when it reaches it, which for a
metric or a hook can be after hours of training, and without suggesting
the name that was meant. :func:`check_registry_names` walks the whole
config once, before the Runner starts, and names every unknown ``type``
with its place in the config and the closest registered names.
"""
import difflib
import inspect
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

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


class UnknownArgumentError(TypeError):
    """A config gives a component a keyword argument it does not take."""


#: Registries whose components are checked for unknown keyword arguments
#: (the others are built by mmengine with arguments of its own, such as an
#: optimiser wrapper's ``paramwise_cfg``).
CHECKED_REGISTRIES = ('MODELS', 'NECKS', 'CELLS', 'TRANSFERS', 'DATASETS',
                      'DATA_SAMPLERS', 'TRANSFORMS', 'METRICS', 'OPTIMIZERS',
                      'HOOKS')

#: Keys a registry's builder consumes itself.
BUILDER_KEYS = {'HOOKS': {'priority'}}


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


def _components(node: Any, path: str, hint: Optional[str]
                ) -> Iterator[Tuple[str, dict, str]]:
    """Yield ``(path, config dict, registry)`` of every component that a
    known registry builds (as :func:`_walk`, with the dict itself)."""
    if isinstance(node, dict):
        if isinstance(node.get('type'), (str, type)) and hint is not None:
            yield path, node, hint
        for key, value in node.items():
            if key == 'type' or key.startswith('_'):
                continue
            child = f'{path}.{key}' if path else str(key)
            yield from _components(value, child, KEY_REGISTRY.get(key))
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _components(value, f'{path}.{index}', hint)


def accepted_arguments(component: Any) -> Optional[Set[str]]:
    """The keyword arguments a registered class (or function) accepts.

    A class whose ``__init__`` takes ``**kwargs`` is taken to forward them
    to its base class (as mmengine's datasets do), whose arguments are then
    added; None when the chain ends in a ``**kwargs`` that goes nowhere
    known.

    Args:
        component (type | Callable): The registered object.

    Returns:
        set[str] | None: The argument names, or None when unknown.
    """
    if not isinstance(component, type):
        functions = [component]
    else:
        functions = [
            klass.__dict__['__init__'] for klass in component.__mro__
            if '__init__' in klass.__dict__
        ]
    names: Set[str] = set()
    for function in functions:
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            return None
        names.update(
            name for name, parameter in parameters.items()
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD,
                                  parameter.KEYWORD_ONLY))
        if not any(parameter.kind == parameter.VAR_KEYWORD
                   for parameter in parameters.values()):
            names.discard('self')
            return names
    return None


def check_component_arguments(cfg: Any) -> None:
    """Raise on the first keyword argument a component does not take.

    mmengine only finds out when it builds the component - a raw
    ``TypeError`` from the constructor after the run has started. This
    compares the keys of every component's config dict with the
    signature of the registered class, before anything is built.

    Args:
        cfg (Config | dict): The merged config.

    Raises:
        UnknownArgumentError: Naming the place in the config, the component,
            the unknown key, close names and the accepted arguments.
    """
    registries = _registries()
    for path, node, hint in _components(dict(cfg), '', None):
        if hint not in CHECKED_REGISTRIES or hint not in registries:
            continue
        kind = node['type']
        if isinstance(kind, str):
            if '.' in kind:
                continue
            component = registries[hint].get(kind)
            if component is None:
                component = next(
                    (found for found in (registry.get(kind)
                                         for registry in registries.values())
                     if found is not None), None)
        else:
            component = kind
        accepted = accepted_arguments(component) if component else None
        if accepted is None:
            continue
        allowed = accepted | BUILDER_KEYS.get(hint, set())
        for key in node:
            if key == 'type' or key.startswith('_') or key in allowed:
                continue
            close = difflib.get_close_matches(key, sorted(accepted), n=3,
                                              cutoff=0.6)
            hint_text = (f' Did you mean {" or ".join(map(repr, close))}?'
                         if close else '')
            name = getattr(component, '__name__', str(kind))
            where = f'{path}.{key}' if path else key
            raise UnknownArgumentError(
                f'{where}={node[key]!r}: {name} has no argument {key!r}.'
                f'{hint_text} Its arguments: '
                f'{", ".join(sorted(accepted))}. Fix the key in the config '
                'or in --cfg-options.')


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


__all__ = [
    'UnknownArgumentError', 'UnknownComponentError', 'accepted_arguments',
    'check_component_arguments', 'check_registry_names', 'suggest'
]
