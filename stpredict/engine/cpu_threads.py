"""Choose how many threads each process gives PyTorch's CPU kernels."""
import os
import os.path as osp
from typing import Optional, Set, Tuple

import torch


def _read(path: str) -> Optional[str]:
    try:
        with open(path) as file:
            return file.read().strip()
    except OSError:
        return None


def usable_cpus() -> Set[int]:
    """The logical CPUs this process may run on (its affinity)."""
    if hasattr(os, 'sched_getaffinity'):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def physical_core_count() -> int:
    """Physical cores among :func:`usable_cpus`, within the CPU quota.

    Hyper-threads of one core count once (Linux topology files; where they
    are missing every logical CPU counts as a core), and a cgroup CPU quota
    (``cpu.max`` of containers) caps the count.

    Returns:
        int: At least 1.
    """
    cpus = usable_cpus()
    cores = set()
    for cpu in cpus:
        base = f'/sys/devices/system/cpu/cpu{cpu}/topology'
        core = _read(osp.join(base, 'core_id'))
        package = _read(osp.join(base, 'physical_package_id'))
        cores.add((package, core) if core is not None else ('cpu', cpu))
    count = len(cores) or len(cpus) or 1
    quota = _read('/sys/fs/cgroup/cpu.max')
    if quota:
        parts = quota.split()
        if len(parts) == 2 and parts[0] != 'max':
            try:
                count = min(count,
                            max(1, int(float(parts[0]) / float(parts[1]))))
            except ValueError:
                pass
    return max(1, count)


def local_process_count() -> int:
    """Processes of this run on this machine (torchrun's
    ``LOCAL_WORLD_SIZE``, else 1)."""
    for key in ('LOCAL_WORLD_SIZE', 'SLURM_NTASKS_PER_NODE'):
        value = os.environ.get(key, '')
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def choose_cpu_threads(requested: Optional[int] = None) -> Tuple[int, str]:
    """The thread count for this process, and why.

    In order: ``requested`` (``--threads N``); ``OMP_NUM_THREADS`` when it
    is set (torchrun sets 1 for several processes); else the physical
    cores this process may use divided by the local processes (at least 1).

    Args:
        requested (int, optional): A thread count asked for. Defaults to
            None.

    Returns:
        tuple[int, str]: The count and the reason, for the log.
    """
    if requested is not None:
        if int(requested) != requested or requested < 1:
            raise ValueError(f'--threads must be an integer >= 1, got '
                             f'{requested!r}.')
        return int(requested), '--threads'
    env = os.environ.get('OMP_NUM_THREADS', '').strip()
    if env:
        if env.isdigit() and int(env) > 0:
            return int(env), f'OMP_NUM_THREADS={env}'
        raise ValueError(f'OMP_NUM_THREADS={env!r} is not a positive '
                         'integer; set it to e.g. 1, or unset it.')
    cores = physical_core_count()
    processes = local_process_count()
    count = max(1, cores // processes)
    if processes > 1:
        reason = f'{cores} physical cores / {processes} local processes'
    else:
        reason = f'{cores} physical cores'
    return count, reason


def busy_hint(threads: int) -> str:
    """A hint when other work keeps the machine's cores busy, else ''.

    Args:
        threads (int): The threads this process will use.

    Returns:
        str: The hint, or an empty string.
    """
    if threads <= 1 or not hasattr(os, 'getloadavg'):
        return ''
    load = os.getloadavg()[0]
    cpus = len(usable_cpus())
    if load < 0.5 * cpus:
        return ''
    return (f' The machine looks busy (1-minute load {load:.1f} on {cpus} '
            'CPUs): threads that wait for a core slow every iteration, so '
            'if iterations are slow or uneven try --threads 1 (or fewer '
            'processes).')


def setup_cpu_threads(requested: Optional[int] = None) -> str:
    """Set PyTorch's intra-op threads (see :func:`choose_cpu_threads`).

    Args:
        requested (int, optional): ``--threads N``. Defaults to None.

    Returns:
        str: The line to log, e.g. ``'CPU threads: 2 per process (2
        physical cores)'``.
    """
    count, reason = choose_cpu_threads(requested)
    torch.set_num_threads(count)
    os.environ['OMP_NUM_THREADS'] = str(count)  # data workers, subprocesses
    where = (', for the host side of a GPU run'
             if torch.cuda.is_available() else '')
    message = f'CPU threads: {count} per process ({reason}{where}).'
    return message + busy_hint(count)
