# CMS-LSTM at the PredRNN/TMU setting: 4 layers x 64 channels, 5x5 kernels,
# frames patched 4x4 (64x64 -> 16 channels at 16x16; the SE block's patch
# grids 1, 2, 4 divide 16), no stem, 1x1 output convolution without bias,
# per-frame sum of squared errors. 5 context-embedding rounds.
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    stem=None,
    neck=dict(
        type='SingleScaleStack',
        cell=dict(
            type='CMSLSTMCell',
            kernel_size=5,
            ce_iterations=5,
            se_scales=(1, 2, 4)),
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
