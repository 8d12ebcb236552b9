# MIM at the PredRNN/TMU setting (4 x 64, 5x5 kernels, Adam 1e-3, batch 8,
# 80k iterations) on KTH (all six actions, 128x128 gray,
# 10 -> 10), frames patched 4x4 (128x128x1 -> 16 x 32x32): the KTH
# source of TMU Table 3's MIM column, whose memories are 64 x 32x32
# like those of the Human3.6M target.
_base_ = [
    '../_base_/models/mim_4x64.py',
    '../_base_/datasets/kth.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))
