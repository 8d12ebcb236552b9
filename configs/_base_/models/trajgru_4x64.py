# TrajGRU at the PredRNN/TMU setting: 4 layers x 64 channels, 5x5 input
# kernels, frames patched 4x4 (64x64 -> 16 channels at 16x16), 1x1 output
# convolution. 13 links, the TrajGRU paper's first-layer value on HKO-7.
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    stem=None,
    neck=dict(
        type='SingleScaleStack',
        cell=dict(type='TrajGRUCell', kernel_size=5, num_links=13),
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
