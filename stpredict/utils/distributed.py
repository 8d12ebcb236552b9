"""Starting and ending a distributed run, also on machines without a GPU."""
import datetime
import gc
import math
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

#: Seconds a rank waits in a collective for the others before failing
#: (``env_cfg.dist_cfg.timeout``), unless the config sets it.
DEFAULT_COLLECTIVE_TIMEOUT = 1800


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
