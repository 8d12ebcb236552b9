#!/usr/bin/env bash
# bfloat16 autocast (--amp) vs float32: the tiny config trained and tested
# with seeds 0-2 each, two runs at a time with one thread each; the test
# MSE of every run is in work_dirs/bf16_table/{fp32,amp}_s{0,1,2}/test.json
set -u
cd "$(dirname "$0")/../.."
CFG=configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py
run() {  # $1 = fp32|amp, $2 = seed
  W=work_dirs/bf16_table/$1_s$2
  AMP=""; [ "$1" = amp ] && AMP="--amp"
  OMP_NUM_THREADS=1 python tools/train.py $CFG $AMP --work-dir $W --threads 1 --cfg-options randomness.seed=$2 > $W.train.log 2>&1
  OMP_NUM_THREADS=1 python tools/test.py $CFG $(ls $W/best_*.pth | head -1) --work-dir $W --out $W/test.json --threads 1 --baselines none > $W.test.log 2>&1
}
mkdir -p work_dirs/bf16_table
for s in 0 1 2; do run fp32 $s & run amp $s & wait; done
python - <<'PY'
import json
import statistics
for precision in ('fp32', 'amp'):
    values = [json.load(open(f'work_dirs/bf16_table/{precision}_s{seed}/test.json'))['mse_per_frame'] for seed in (0, 1, 2)]
    print(f'{precision}: test MSE/frame ' + ' / '.join(f'{v:.1f}' for v in values)
          + f'; mean {statistics.mean(values):.1f} +- {statistics.stdev(values):.1f}')
PY
