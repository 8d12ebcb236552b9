# MIM at the PredRNN/TMU setting (4 x 64, 5x5 kernels, 4x4 patches,
# Adam 1e-3, batch 8, 80k iterations) on flying digits with 1 digit: a
# source model of TMU Table 2 (MIM backbone).
_base_ = [
    '../_base_/models/mim_4x64.py',
    '../_base_/datasets/flying_digits_1digit.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]
