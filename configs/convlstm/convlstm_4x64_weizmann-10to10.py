# ConvLSTM at the TMU setting (4 x 64, 5x5 kernels, Adam 1e-3, batch 8, 80k
# iterations) on Weizmann, 128x128 gray, 10 -> 10: the Weizmann source
# model of TMU's human-motion benchmark. Frames are patched 4x4
# (128x128x1 -> 16 x 32x32): 64x32x32 memories like the Human3.6M target
# (TMU Sec. 4).
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/weizmann.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))
