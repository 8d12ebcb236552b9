# ConvLSTM at the TMU setting (4 x 64, 5x5 kernels, Adam 1e-3, batch 8, 80k
# iterations) on KTH, all six actions, 128x128 gray, 10 -> 10: the KTH
# source model of TMU's human-motion benchmark. Frames are patched 4x4
# (128x128x1 -> 16 x 32x32), so its memories are 64x32x32 like those of the
# Human3.6M target (TMU Sec. 4: W/K and H/K equal across domains; TMU
# gives the 64x32x32 memories but not the source frame size).
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/kth.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))
