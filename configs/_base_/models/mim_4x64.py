# MIM at the PredRNN/TMU setting: 4 layers x 64 channels, 5x5 kernels, frames
# patched 4x4 (64x64 -> 16 channels at 16x16), 1x1 output convolution.
# Layer 0 is an ST-LSTM (it has no diagonal input H^{l-1}_{t-1}); layers 1-3
# are MIM blocks (Wang et al., CVPR 2019).
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
            dict(type='MIMCell', kernel_size=5),
            dict(type='MIMCell', kernel_size=5),
            dict(type='MIMCell', kernel_size=5),
        ],
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
