# ConvLSTM (4 x 64, 5x5 kernels, Adam 1e-3, batch 4) on KTH at the MS-RNN
# data setting: walking, jogging and running, 88x88 gray, 10 -> 10, window
# strides 10 / 10 / 3. Frames are patched 4x4 (88x88x1 -> 16 x 22x22).
# (MS-RNN's own 6-layer models run unpatched with Adam 3e-4.)
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/kth_msrnn.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))
