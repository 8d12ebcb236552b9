# MAU at the MS-RNN setting (not in the MS-RNN paper): 6 layers x 64
# channels, 3x3 kernels, tau = 5, no patching, a 1x1 convolution from the
# frame to 64 channels and a 1x1 convolution back; loss = per-frame sum of
# squared plus absolute error.
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=1),
    stem=dict(type='Conv2d', out_channels=64, kernel_size=1),
    neck=dict(
        type='SingleScaleStack',
        cell=dict(type='MAUCell', kernel_size=3, tau=5, cell_mode='normal'),
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
