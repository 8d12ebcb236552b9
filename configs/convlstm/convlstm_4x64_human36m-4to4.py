# ConvLSTM at the TMU setting (4 x 64, 5x5 kernels, Adam 1e-3, batch 8, 80k
# iterations) on Human3.6M, 128x128 RGB, 4 -> 4: the from-scratch ConvLSTM
# of TMU Table 3 (target domain of the human-motion benchmark). Frames are
# patched 4x4 (128x128x3 -> 48 x 32x32), giving the 64x32x32 memories of
# TMU Sec. 4 that the KTH and Weizmann sources match.
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/human36m.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=4,
    output_frames=4,
    in_channels=3,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))
