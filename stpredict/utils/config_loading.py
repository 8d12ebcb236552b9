"""Reading a config file the way the tools do: ``_base_`` files checked,
``--cfg-options`` merged, plugins imported."""
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.config import Config
from mmengine.utils import import_modules_from_strings


def load_config(path: str,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and import its plugins.

    mmengine imports ``custom_imports`` only when they are written in the
    file; here they are imported after the overrides too, so
    ``--cfg-options custom_imports.imports=[my_plugin]`` works.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): Overrides (``--cfg-options``).

    Returns:
        Config: The merged config.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Config file "{path}" does not exist. Give the path of a config '
            'under configs/ (e.g. configs/convlstm/'
            'convlstm_2x32_flying2digits-10to10_tiny.py), relative to where '
            'you run the command (run the tools from the repository root).')
    check_base_files(path)
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
        custom_imports = cfg.get('custom_imports')
        if custom_imports:
            import_modules_from_strings(**custom_imports)
    return cfg


def check_base_files(path: str, _seen: Optional[set] = None) -> None:
    """Fail with the including file named when a ``_base_`` is missing.

    mmengine raises a bare ``FileNotFoundError`` for the missing file only;
    this walks the ``_base_`` lists first (recursively; ``pkg::path`` bases
    of other packages are left to mmengine).

    Args:
        path (str): The config file.

    Raises:
        FileNotFoundError: Naming the missing base, where it was looked for
            and the file that includes it.
    """
    seen = _seen if _seen is not None else set()
    path = osp.abspath(path)
    if path in seen or not path.endswith('.py'):
        return
    seen.add(path)
    try:
        bases = Config._get_base_files(path)
    except Exception:  # noqa: BLE001 - a syntax error: mmengine reports it
        return
    for base in bases:
        if not isinstance(base, str) or '::' in base:
            continue
        target = osp.abspath(osp.join(osp.dirname(path), base))
        if not osp.isfile(target):
            raise FileNotFoundError(
                f'The config {osp.relpath(path)} includes _base_ {base!r}, '
                f'which does not exist (looked for {osp.relpath(target)}). '
                '_base_ paths are relative to the including file; fix the '
                'path (see the files under configs/_base_/).')
        check_base_files(target, seen)
