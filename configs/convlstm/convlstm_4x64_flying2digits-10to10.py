# ConvLSTM at the TMU paper's setting (4 x 64, 5x5 kernels, 4x4 patches,
# Adam 1e-3, batch 8, 80k iterations) on flying digits with 2 digits.
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/flying_digits_2digits.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]
