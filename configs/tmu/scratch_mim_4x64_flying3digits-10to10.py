# TMU Table 2, row "from scratch", MIM backbone: the MIM of
# configs/mim/ (4 x 64) trained on three flying digits.
_base_ = [
    '../_base_/models/mim_4x64.py',
    '../_base_/datasets/flying_digits_3digits.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]
