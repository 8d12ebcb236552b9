# TrajGRU at the MS-RNN setting (MS-RNN Sec. 5, Table 6: 2.11M parameters on
# TaxiBJ, 2 channels): 6 layers x 64 channels, 3x3 input kernels, 10 links
# (the MS-RNN authors' value), the flow network with 32 maps and 5x5 kernels
# (TrajGRU paper), no patching, a 1x1 convolution from the frame to 64
# channels and a 1x1 convolution back; loss = per-frame sum of squared plus
# absolute error.
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=1),
    stem=dict(type='Conv2d', out_channels=64, kernel_size=1),
    neck=dict(
        type='SingleScaleStack',
        cell=dict(type='TrajGRUCell', kernel_size=3, num_links=10),
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
