"""Checks and settings that the command-line tools apply before a run."""
import datetime
import gc
import json
import math
import os
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional

import torch
import torch.distributed as torch_dist
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _config_get(cfg: Any, dotted: str) -> Any:
    node = dict(cfg) if isinstance(cfg, Config) else cfg
    for key in dotted.split('.'):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def config_value_problems(cfg: Config, training: bool = True) -> List[str]:
    """Values that would make a run fail late or run silently wrong.

    Iteration and epoch counts, intervals and batch sizes must be integers
    >= 1 (a checkpoint interval may be -1: no periodic checkpoints), worker
    counts integers >= 0, and the learning rate a positive finite number.

    Args:
        cfg (Config): The merged config.
        training (bool): Whether the run trains. Defaults to True.

    Returns:
        list[str]: One message per problem, naming the key and the fix.
    """
    problems = []

    def integer(key: str, minimum: int, meaning: str,
                off: Optional[str] = None) -> None:
        """``off``: what -1 means, where -1 is allowed."""
        value = _config_get(cfg, key)
        if value is None:
            return
        if _is_int(value) and (value >= minimum or
                               (off is not None and value == -1)):
            return
        allowed = f'an integer >= {minimum}'
        if off is not None:
            allowed += f' (or -1: {off})'
        problems.append(
            f'{key}={value!r}: {meaning} must be {allowed}. Fix it in the '
            f'config or with --cfg-options {key}=...')

    loaders = ['test_dataloader']
    if training:
        loaders = ['train_dataloader']
        if cfg.get('val_cfg', None) is not None:
            loaders.append('val_dataloader')
        integer('train_cfg.max_iters', 1, 'the number of training '
                'iterations')
        integer('train_cfg.max_epochs', 1, 'the number of training epochs')
        integer('train_cfg.val_interval', 1, 'the validation interval (in '
                'iterations or epochs)')
        integer('default_hooks.checkpoint.interval', 1,
                'the checkpoint interval (in iterations or epochs)',
                off='no periodic checkpoints')
        integer('default_hooks.logger.interval', 1, 'the logging interval '
                '(in iterations)')
        key = 'optim_wrapper.optimizer.lr'
        lr = _config_get(cfg, key)
        if lr is not None and (isinstance(lr, bool)
                               or not isinstance(lr, (int, float))
                               or not math.isfinite(lr) or lr <= 0):
            problems.append(
                f'{key}={lr!r}: the learning rate must be a positive finite '
                'number (e.g. 1e-3). Fix it in the config or with '
                f'--cfg-options {key}=0.001')
    for name in loaders:
        integer(f'{name}.batch_size', 1, 'the batch size')
        integer(f'{name}.num_workers', 0, 'the number of data loading '
                'processes')
    return problems


def check_config_values(cfg: Config, training: bool = True) -> None:
    """Raise on the values :func:`config_value_problems` finds.

    Args:
        cfg (Config): The merged config.
        training (bool): Whether the run trains. Defaults to True.

    Raises:
        ValueError: Listing every problem.
    """
    problems = config_value_problems(cfg, training)
    if problems:
        raise ValueError(
            f'The config {cfg.filename} has invalid values:\n  ' +
            '\n  '.join(problems))


def prepare_amp(cfg: Config) -> None:
    """Switch the optimiser wrapper to mixed precision for this machine.

    On a GPU: mmengine's ``AmpOptimWrapper`` (float16 with dynamic loss
    scaling). On the CPU: stpredict's ``CPUAutocastOptimWrapper`` (bfloat16
    autocast), because ``AmpOptimWrapper`` needs a GPU.

    Args:
        cfg (Config): The config; ``cfg.optim_wrapper`` is changed in place.
    """
    optim_wrapper = cfg.optim_wrapper
    current = optim_wrapper.get('type', 'OptimWrapper')
    if current in ('AmpOptimWrapper', 'CPUAutocastOptimWrapper'):
        return
    if current != 'OptimWrapper':
        warnings.warn(f'--amp replaces the optimiser wrapper {current}.')
    if torch.cuda.is_available():
        optim_wrapper.type = 'AmpOptimWrapper'
        optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        optim_wrapper.type = 'CPUAutocastOptimWrapper'
        optim_wrapper.setdefault('dtype', 'bfloat16')


def prepare_launcher(cfg: Config) -> None:
    """Make distributed launches work on CPU-only machines.

    mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and
    wraps the model in DDP with ``device_ids=[LOCAL_RANK]``; neither works
    without a GPU. On such machines the process group is initialised here
    with the ``gloo`` backend and the model is wrapped with
    ``device_ids=None``, so ``tools/dist_train.sh CONFIG N`` trains with N
    CPU processes.

    Args:
        cfg (Config): The config (``cfg.launcher`` set by the tool).
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none':
        return
    # (Config.setdefault stores a copy of a new dict: assign explicitly)
    env_cfg = dict(cfg.get('env_cfg') or {})
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    timeout = dist_cfg.setdefault('timeout', DEFAULT_COLLECTIVE_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(
            timeout, (int, float)) or not math.isfinite(timeout) or \
            timeout <= 0:
        raise ValueError(
            f'env_cfg.dist_cfg.timeout={timeout!r}: the collective timeout '
            'must be a positive number of seconds (e.g. 1800).')
    env_cfg['dist_cfg'] = dist_cfg
    cfg.env_cfg = env_cfg
    if torch.cuda.is_available():
        return  # mmengine's init_dist takes the timeout from dist_cfg
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs GPUs, and this machine has none. '
            'On CPUs launch with torchrun (tools/dist_train.sh CONFIG N, '
            'i.e. --launcher pytorch), which uses the gloo backend.')
    missing = [
        key for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if key not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs the environment variables {missing} '
            'that torchrun sets. Start with tools/dist_train.sh CONFIG N.')
    env_cfg['dist_cfg'] = dict(dist_cfg, backend='gloo')
    cfg.env_cfg = env_cfg
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend='gloo', timeout=datetime.timedelta(seconds=timeout))
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def check_checkpoint(path: str) -> None:
    """Fail fast, before any model or data is built, on a missing file.

    Args:
        path (str): The checkpoint path given on the command line.
    """
    if '://' in path:
        return
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Checkpoint "{path}" does not exist. Give the path of a .pth '
            'file written by tools/train.py (e.g. WORK_DIR/iter_1000.pth or '
            'WORK_DIR/best_*.pth).')


def _frames(dataset_cfg: Any) -> Dict[str, int]:
    """The window lengths a dataset config sets, if any."""
    if not isinstance(dataset_cfg, dict):
        return {}
    if 'dataset' in dataset_cfg and isinstance(dataset_cfg['dataset'], dict):
        return _frames(dataset_cfg['dataset'])  # dataset wrappers
    return {
        key: dataset_cfg[key]
        for key in ('input_frames', 'output_frames') if key in dataset_cfg
    }


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

#: Seconds a rank waits in a collective for the others before failing
#: (``env_cfg.dist_cfg.timeout``), unless the config sets it.
DEFAULT_COLLECTIVE_TIMEOUT = 1800


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


def check_config(cfg: Config, training: bool = True) -> None:
    """Catch configuration mistakes before a long run starts.

    Checks the values of iteration counts, intervals, batch sizes and the
    learning rate, that every component ``type`` is registered (with close
    names for typos) and takes the keyword arguments the config gives it,
    that the data loaders the run needs are configured and that
    the dataset windows match the model's ``input_frames``/
    ``output_frames``. (Shapes are checked against the real data by
    :class:`~stpredict.engine.hooks.PreflightCheckHook` once the model and
    the dataset are built, before the first iteration.)

    Args:
        cfg (Config): The merged config.
        training (bool): Whether the run trains (else it only tests).
            Defaults to True.
    """
    model = cfg.get('model', None)
    if model is None:
        raise ValueError(f'The config {cfg.filename} has no "model".')
    add_safety_hooks(cfg)
    normalize_hooks(cfg)
    check_config_values(cfg, training)
    from stpredict.utils.registry_check import (check_component_arguments,
                                                check_registry_names)
    check_registry_names(cfg)
    check_component_arguments(cfg)
    needed = ['train_dataloader'] if training else ['test_dataloader']
    if training and cfg.get('val_cfg', None) is not None:
        needed.append('val_dataloader')
    for name in needed:
        if cfg.get(name, None) is None:
            raise ValueError(
                f'The config {cfg.filename} has no {name}; inherit a dataset '
                'config from configs/_base_/datasets/.')
    if training:
        check_transfer_sources(cfg)
    for name in needed:
        frames = _frames(cfg[name].get('dataset'))
        for key, value in frames.items():
            if key in model and model[key] != value:
                raise ValueError(
                    f'{name}.dataset.{key}={value} but model.{key}='
                    f'{model[key]}: the dataset windows must match the '
                    f'model. Set both to the same value (e.g. --cfg-options '
                    f'model.{key}={value}).')


def check_transfer_sources(cfg: Config) -> None:
    """Fail before training when a source model has not been trained yet.

    The error names the exact command that trains the missing source.

    Args:
        cfg (Config): The merged config.
    """
    from stpredict.models.transfer.source_models import find_checkpoint
    transfer = cfg.model.get('transfer') if cfg.get('model') else None
    if not transfer:
        return
    if 'sources' in transfer:
        for source in transfer['sources']:
            find_checkpoint(source.get('config'), source.get('checkpoint'))
    elif transfer.get('checkpoint') or transfer.get('config'):
        find_checkpoint(transfer.get('config'), transfer.get('checkpoint'))


def dump_metrics(metrics: Dict[str, Any], path: str) -> None:
    """Write metrics (with their per-frame curves) to a JSON file.

    Args:
        metrics (dict): The dict that ``Runner.test`` returns.
        path (str): The output file.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return value.tolist()
        if hasattr(value, 'tolist'):
            return value.tolist()
        return value

    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    with open(path, 'w') as file:
        json.dump({key: plain(value) for key, value in metrics.items()},
                  file,
                  indent=2)


def shutdown_distributed(wait_for_peers: bool = True) -> None:
    """Tear the process group down, if any, before the interpreter exits.

    Exiting with a live gloo group can abort a rank at shutdown
    ("terminate called without an active exception") after the work is
    done, which makes torchrun report a failure. A rank that finishes
    first and closes its connections while a peer still uses them does the
    same, so on success the ranks first meet at a barrier.

    Args:
        wait_for_peers (bool): Meet the other ranks at a barrier before
            destroying the group. Pass False when leaving on an error: the
            peers may never arrive. Defaults to True.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    # free what still refers to the group (the runner's DDP reducer sits in
    # reference cycles) while the interpreter is fully alive: freed during
    # interpreter finalisation, gloo's threads can abort the process
    gc.collect()
    if wait_for_peers:
        torch_dist.barrier()
    torch_dist.destroy_process_group()
    gc.collect()
