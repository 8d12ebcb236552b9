"""Run any config for a few iterations, for tests of new components."""
import copy
import os.path as osp
import uuid
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from stpredict.apis.config_check import check_config
from stpredict.utils import register_all_modules

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def shrink_config(cfg: Config,
                  work_dir: str,
                  iterations: int = 2,
                  batch_size: int = 2,
                  num_sequences: int = 4) -> Config:
    """Shrink a config to a run of seconds, keeping model and data types.

    Data loaders get ``batch_size``, no worker processes and (for generated
    datasets that take it) ``num_sequences`` sequences; training runs
    ``iterations`` iterations, validates and saves once at the end, and logs
    every iteration. Hooks whose schedule depends on the run length (e.g.
    scheduled sampling) keep working.

    Args:
        cfg (Config): A full training config.
        work_dir (str): Where the run writes logs and checkpoints.
        iterations (int): Training iterations. Defaults to 2.
        batch_size (int): Batch size of every loader. Defaults to 2.
        num_sequences (int): Sequences of generated datasets. Defaults to 4.

    Returns:
        Config: A shrunk copy.
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    for name in LOADERS:
        loader = cfg.get(name)
        if not loader:
            continue
        loader.batch_size = batch_size
        loader.num_workers = 0
        loader.persistent_workers = False
        dataset = loader.dataset
        while 'dataset' in dataset:  # dataset wrappers
            dataset = dataset.dataset
        if dataset.get('type') == 'FlyingDigits':
            dataset.num_sequences = num_sequences
    cfg.train_cfg.max_iters = iterations
    cfg.train_cfg.val_interval = iterations
    hooks = cfg.default_hooks
    hooks.checkpoint.interval = iterations
    hooks.logger.interval = 1
    for hook in cfg.get('custom_hooks', []):
        if hook.get('type') == 'ScheduledSamplingHook':
            hook.end_iter = max(iterations, 2)
            if hook.get('schedule') == 'reverse':
                hook.start_iter = 1
    return cfg


def train_briefly(config: str,
                  work_dir: str,
                  iterations: int = 2,
                  cfg_options: Optional[dict] = None,
                  **shrink_kwargs) -> Runner:
    """Train a config for a few iterations through the mmengine Runner.

    The config goes through the checks of ``tools/train.py`` and the same
    ``Runner.from_cfg(cfg).train()``, in-process, so that tests can inspect
    the runner afterwards.

    Args:
        config (str): Path of the config file.
        work_dir (str): Work directory of the run.
        iterations (int): Training iterations. Defaults to 2.
        cfg_options (dict, optional): Overrides applied after shrinking, as
            with ``--cfg-options`` (e.g. ``{'model.neck.hidden_channels':
            8}``). Defaults to None.
        **shrink_kwargs: More arguments of :func:`shrink_config`.

    Returns:
        Runner: The runner after training (``runner.iter == iterations``).
    """
    register_all_modules(init_default_scope=False)
    cfg = shrink_config(
        Config.fromfile(config), work_dir, iterations, **shrink_kwargs)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    # mmengine names the run's logger, message hub and visualizer after the
    # config and the second it started: two runs of one config within a
    # second (tests) would share them, and draw into each other's work dirs
    cfg.setdefault(
        'experiment_name',
        f'{osp.splitext(osp.basename(config))[0]}_{uuid.uuid4().hex[:12]}')
    check_config(cfg)  # what tools/train.py checks before building a run
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner
