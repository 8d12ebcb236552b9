# MotionRNN on a MIM backbone at the PredRNN/TMU setting: 4 layers x 64
# channels, 5x5 kernels, frames patched 4x4 (64x64 -> 16 channels at 16x16),
# 1x1 output convolution. Layer 0 is an ST-LSTM; layers 1-3 are MIM blocks
# fused with the MotionGRU below them and the Motion Highway (Wu et al., CVPR
# 2021): one MotionGRU + highway between every two consecutive layers. The
# motion states F, D live at half the cell resolution (8x8 here).
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    stem=None,
    neck=dict(
        type='SingleScaleStack',
        cell=[
            dict(type='SpatioTemporalLSTMCell', kernel_size=5),
            dict(type='MotionMIMCell', kernel_size=5),
            dict(type='MotionMIMCell', kernel_size=5),
            dict(type='MotionMIMCell', kernel_size=5),
        ],
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
