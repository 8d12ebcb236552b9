# TMU Table 3, row "train from scratch" (MIM column): MIM (an ST-LSTM and
# three MIM blocks, 4 x 64, 5x5 kernels) on Human3.6M (128x128 RGB, 4 -> 4,
# patch 4: memories 64 x 32x32).
_base_ = [
    '../_base_/models/mim_4x64.py',
    '../_base_/datasets/human36m.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=4,
    output_frames=4,
    in_channels=3,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))


kth = 'configs/mim/mim_4x64_kth-10to10.py'
weizmann = 'configs/mim/mim_4x64_weizmann-10to10.py'
