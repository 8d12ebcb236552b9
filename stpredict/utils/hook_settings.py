"""The hooks every run of the tools has, and conveniences of hook settings."""
from typing import Optional

from mmengine.config import Config

#: The default hooks mmengine itself knows; only these can be switched off
#: by setting them to None in ``default_hooks``.
MMENGINE_DEFAULT_HOOKS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                          'param_scheduler', 'checkpoint')


def visualization_hook_cfg(cfg: Config) -> Optional[dict]:
    """The config's ``PredictionVisualizationHook`` settings, if any.

    It is ``default_hooks.visualization`` in stpredict's configs; a hook of
    that type in ``custom_hooks`` takes precedence.

    Args:
        cfg (Config): The config.

    Returns:
        dict | None: The hook's config dict.
    """
    for hook in cfg.get('custom_hooks', None) or []:
        if hook.get('type') == 'PredictionVisualizationHook':
            return hook
    hook = (cfg.get('default_hooks', None) or {}).get('visualization')
    return hook if isinstance(hook, dict) else None


#: Hooks that every run of the tools has, also with configs that do not
#: inherit ``configs/_base_/default_runtime.py``. A config switches one off
#: by name (``default_hooks.NAME=None``).
SAFETY_HOOKS = dict(
    strict_load=dict(type='StrictLoadHook'),
    work_dir_lock=dict(type='WorkDirLockHook'),
    stop_signal=dict(type='StopSignalHook'),
    dist_watchdog=dict(type='DistWatchdogHook'))


def add_safety_hooks(cfg: Config) -> None:
    """Add the :data:`SAFETY_HOOKS` a config does not mention, in place.

    Args:
        cfg (Config): The config.
    """
    default_hooks = dict(cfg.get('default_hooks', None) or {})
    for name, hook in SAFETY_HOOKS.items():
        if name not in default_hooks:
            default_hooks[name] = dict(hook)
    cfg.default_hooks = default_hooks


def normalize_hooks(cfg: Config) -> None:
    """Resolve two conveniences of the hook settings, in place.

    - ``default_hooks.NAME=None`` switches off a default hook that stpredict
      adds (e.g. ``visualization``); mmengine only accepts None for its
      own default hooks.
    - A ``PredictionVisualizationHook`` in ``custom_hooks`` replaces
      ``default_hooks.visualization`` instead of drawing everything twice.

    Args:
        cfg (Config): The config.
    """
    default_hooks = cfg.get('default_hooks', None)
    if not default_hooks:
        return
    custom = [hook.get('type') for hook in cfg.get('custom_hooks', None) or []]
    for name in list(default_hooks):
        hook = default_hooks[name]
        if hook is None and name not in MMENGINE_DEFAULT_HOOKS:
            del default_hooks[name]
        elif isinstance(hook, dict) and hook.get('type') in custom and \
                name not in MMENGINE_DEFAULT_HOOKS:
            del default_hooks[name]
