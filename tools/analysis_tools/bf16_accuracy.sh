#!/usr/bin/env bash
# bfloat16 autocast (--amp) vs float32: the tiny config trained and tested
# with seeds 0-2 for each arm, two runs at a time with one thread each; the
# test MSE of every run is in work_dirs/bf16_table/<arm>_s<seed>/test.json.
# Arms: fp32; amp_cached (--amp: one weight cast per forward pass shared by
# the time steps, bfloat16 gradient sums; CPUAutocastOptimWrapper's and
# torch's default); amp (--amp with optim_wrapper.cache_enabled=False:
# weights cast at every use, float32 gradient sums).
# Usage: bash tools/analysis_tools/bf16_accuracy.sh [ARM ...]
set -u
cd "$(dirname "$0")/../.."
CFG=configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py
ARMS=${*:-fp32 amp amp_cached}
run() {  # $1 = arm, $2 = seed
  W=work_dirs/bf16_table/$1_s$2
  OPTS="randomness.seed=$2"
  case $1 in
    fp32) AMP="" ;;
    amp) AMP="--amp"; OPTS="$OPTS optim_wrapper.cache_enabled=False" ;;
    amp_cached) AMP="--amp" ;;
    *) echo "unknown arm $1 (fp32, amp, amp_cached)" >&2; return 1 ;;
  esac
  OMP_NUM_THREADS=1 python tools/train.py $CFG $AMP --work-dir $W --threads 1 --cfg-options $OPTS > $W.train.log 2>&1 &&
  OMP_NUM_THREADS=1 python tools/test.py $CFG $(ls $W/best_*.pth | head -1) --work-dir $W --out $W/test.json --threads 1 --baselines none > $W.test.log 2>&1 ||
  echo "run $1 seed $2 failed: see $W.train.log / $W.test.log" >&2
}
export -f run
export CFG
mkdir -p work_dirs/bf16_table
for arm in $ARMS; do for s in 0 1 2; do echo "$arm $s"; done; done | xargs -P 2 -L 1 bash -c 'run "$0" "$1"'
ARMS="$ARMS" python - <<'PY'
import json
import os
import statistics
arms = os.environ['ARMS'].split()
values = {}
for arm in arms:
    values[arm] = [json.load(open(f'work_dirs/bf16_table/{arm}_s{seed}/test.json'))['mse_per_frame'] for seed in (0, 1, 2)]
    print(f'{arm}: test MSE/frame ' + ' / '.join(f'{v:.1f}' for v in values[arm])
          + f'; mean {statistics.mean(values[arm]):.1f} +- {statistics.stdev(values[arm]):.1f}')
for arm in arms:
    if arm != 'fp32' and 'fp32' in values:
        diff = [a - b for a, b in zip(values[arm], values['fp32'])]
        mean, std = statistics.mean(diff), statistics.stdev(diff)
        half = 4.303 * std / len(diff)**0.5  # t(0.975, 2 d.o.f.): 3 seeds
        print(f'{arm} - fp32 per seed: ' + ' / '.join(f'{d:+.1f}' for d in diff)
              + f'; mean {mean:+.1f} +- {std:.1f}; 95% paired interval '
              f'[{mean - half:+.1f}, {mean + half:+.1f}]')
PY
