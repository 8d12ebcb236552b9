"""Kill probe: SIGKILL a training run again and again, resume each time.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python tests/test_tools/kill_probe.py --kills 10

One reference run trains the tiny config for ``--iters`` iterations
unbroken (keeping every checkpoint). The probed run is started with
``--resume auto`` and killed ``--kills`` times with SIGKILL, each time at a
random moment of one of these kinds:

- ``random``: at a random iteration, anywhere inside it (training,
  validation or a save may be under way);
- ``PHASE:FILE``: at a phase of writing a file - ``write`` (half of its
  temporary file written), ``checksum`` (its checksum file written, the file
  not yet) or ``replace`` (renamed into place, nothing after it done) - for
  a periodic checkpoint, a best checkpoint, ``last_checkpoint`` or
  ``best_checkpoints.json``.

After every kill it checks that the checkpoint ``--resume auto`` picks
equals, bit for bit, the reference's checkpoint of the same iteration
(weights, optimiser state, random-generator states); at the end, that the
finished run equals the reference bit for bit, that a best checkpoint is
present, every checkpoint matches its checksum, and nothing is left over
(no temporary files, no more than ``max_keep_ckpts`` periodic checkpoints,
no orphan checksum files). It prints one line per kill and exits 1 on any
failure.
"""
import argparse
import glob
import json
import os
import os.path as osp
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.abspath(osp.join(HERE, '..', '..'))
sys.path.insert(0, REPO_ROOT)
sys.path.insert(0, HERE)

import torch  # noqa: E402
from tool_runner import FAST_OPTIONS, TINY_CONFIG  # noqa: E402

from stpredict.utils.atomic_io import (read_checksums,  # noqa: E402
                                       sha256_of_file)
from stpredict.utils.checkpoint import safe_torch_load  # noqa: E402
from stpredict.utils.resume import find_resumable_checkpoint  # noqa: E402

MAX_KEEP = 2


def options(iters: int, keep: int) -> list:
    return FAST_OPTIONS + [
        f'train_cfg.max_iters={iters}', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        f'default_hooks.checkpoint.max_keep_ckpts={keep}',
        'train_dataloader.dataset.num_sequences=6',
        'optim_wrapper.optimizer.lr=0.003',
        'custom_imports.imports=[crash_injection]',
        'custom_imports.allow_failed_imports=False',
    ]


def start(work_dir: str, iters: int, keep: int, **env) -> subprocess.Popen:
    full_env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
                    STPREDICT_TEST_ITER_SLEEP='0.15',
                    PYTHONPATH=HERE + os.pathsep +
                    os.environ.get('PYTHONPATH', ''), **env)
    return subprocess.Popen(
        [sys.executable, 'tools/train.py', TINY_CONFIG, '--work-dir',
         work_dir, '--resume', 'auto', '--cfg-options',
         *options(iters, keep)],
        cwd=REPO_ROOT, env=full_env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def progress(work_dir: str) -> int:
    """The newest iteration logged by any run of the work dir."""
    newest = 0
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data',
                                   'scalars.json')):
        try:
            with open(path) as file:
                for line in file:
                    record = json.loads(line)
                    if 'loss' in record:
                        newest = max(newest, record['iter'])
        except (OSError, ValueError):
            pass
    return newest


def same(a, b) -> bool:
    """Bit-for-bit equality of nested checkpoint contents."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and \
            a.shape == b.shape and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, 'shape') and hasattr(a, 'dtype'):  # numpy
        import numpy as np
        return np.array_equal(a, b)
    return a == b


def state(path: str) -> dict:
    checkpoint = safe_torch_load(path)
    return {key: checkpoint.get(key) for key in
            ('state_dict', 'optimizer', 'param_schedulers', 'random_state')}


def reference_bests(log: str) -> list:
    return [int(m) for m in re.findall(
        r'best checkpoint with [\d.]+ mse_per_frame at (\d+) iter', log)]


def choose_kill(rng: random.Random, done: int, iters: int, bests: list,
                used: set) -> tuple:
    """A kill kind and its environment, within the next few iterations
    after ``done`` (so that the kills spread over the run); kinds not used
    yet come first, so that ten kills cover them all."""
    next_saves = [s for s in range(2, iters, 2) if done < s <= done + 4]
    next_bests = [s for s in bests if done < s <= done + 4 and s < iters]
    options = ['random']
    for phase in ('write', 'checksum', 'replace'):
        if next_saves:
            options.append(f'{phase}:iter_{rng.choice(next_saves)}.pth')
        if next_bests:
            options.append(f'{phase}:best_mse_per_frame_iter_*.pth')
    for phase in ('write', 'replace'):
        if next_saves:
            options.append(f'{phase}:last_checkpoint')
        if next_bests:
            options.append(f'{phase}:best_checkpoints.json')

    def label(option: str) -> str:
        return re.sub(r'iter_\d+', 'iter_N', option)

    fresh = [option for option in options if label(option) not in used]
    option = rng.choice(fresh or options)
    used.add(label(option))
    if option == 'random':
        return f'random in iter {min(done + rng.randint(1, 2), iters - 1)}', {}
    return option, dict(STPREDICT_TEST_KILL_AT=option)


def check_tidy(work_dir: str) -> list:
    problems = []
    if glob.glob(osp.join(work_dir, '.*.tmp-*')):
        problems.append('temporary files left')
    periodic = glob.glob(osp.join(work_dir, 'iter_*.pth'))
    if len(periodic) > MAX_KEEP:
        problems.append(f'{len(periodic)} periodic checkpoints')
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        digests = read_checksums(path)
        if digests is None or sha256_of_file(path) not in digests:
            problems.append(f'{osp.basename(path)} fails its checksum')
    for record in glob.glob(osp.join(work_dir, '*.sha256')):
        if not osp.exists(record[:-len('.sha256')]):
            problems.append(f'orphan {osp.basename(record)}')
    if not glob.glob(osp.join(work_dir, 'best_*.pth')):
        problems.append('no best checkpoint')
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kills', type=int, default=10)
    parser.add_argument('--iters', type=int, default=24)
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument('--work-dir', default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    rng = random.Random(seed)
    root = args.work_dir or tempfile.mkdtemp(prefix='kill_probe_')
    reference, probed = osp.join(root, 'reference'), osp.join(root, 'probed')
    print(f'kill probe: seed {seed}, {args.kills} kills, {args.iters} '
          f'iterations, work dirs under {root}')
    began = time.time()
    process = start(reference, args.iters, -1)
    log, _ = process.communicate()
    if process.returncode != 0:
        print(log[-3000:])
        return 1
    bests = reference_bests(log)
    print(f'reference: best checkpoints at iterations {bests}')
    failures = 0
    kills = 0
    used: set = set()
    while kills < args.kills:
        done = progress(probed)
        if done >= args.iters - 1:
            break
        kind, env = choose_kill(rng, done, args.iters, bests, used)
        process = start(probed, args.iters, MAX_KEEP, **env)
        if kind.startswith('random'):
            target = int(kind.split()[-1]) - 1  # once the one before ends
            while progress(probed) < target and process.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
        output, _ = process.communicate()
        if process.returncode != -signal.SIGKILL:
            if process.returncode == 0:
                print(f'  {kind}: the run finished before the kill')
                break
            print(f'  {kind}: FAILED (rc {process.returncode})\n'
                  f'{output[-3000:]}')
            return 1
        kills += 1
        resumable = find_resumable_checkpoint(probed)
        step = int(re.search(r'_(\d+)\.pth$', resumable).group(1)) \
            if resumable else 0
        exact = True
        if resumable:
            exact = same(state(resumable),
                         state(osp.join(reference, f'iter_{step}.pth')))
        failures += not exact
        print(f'kill {kills:2d} {kind:44s} at iter {progress(probed):2d}: '
              f'resumes from {osp.basename(resumable or "scratch"):14s} '
              f'{"bit-exact" if exact else "DIFFERS"}')
    process = start(probed, args.iters, MAX_KEEP)
    output, _ = process.communicate()
    if process.returncode != 0:
        print(f'final run: FAILED (rc {process.returncode})\n'
              f'{output[-3000:]}')
        return 1
    final = osp.join(probed, f'iter_{args.iters}.pth')
    exact = same(state(final),
                 state(osp.join(reference, f'iter_{args.iters}.pth')))
    problems = check_tidy(probed)
    bests_left = sorted(osp.basename(p)
                        for p in glob.glob(osp.join(probed, 'best_*.pth')))
    print(f'final: {"bit-exact" if exact else "DIFFERS"} to the unbroken '
          f'run; best checkpoints {bests_left}; '
          f'{"tidy" if not problems else "; ".join(problems)} '
          f'({time.time() - began:.0f} s)')
    return 0 if exact and not problems and not failures and \
        kills == args.kills else 1


if __name__ == '__main__':
    sys.exit(main())
