# PrecipLSTM at the MS-RNN setting (MS-RNN Sec. 5, Table 3: 7.04M
# parameters; this model has 7,035,073): 6 layers x 64 channels, 3x3
# kernels, local attention window 31 (the authors' code: 30, see
# configs/preciplstm/README.md), no patching, a 1x1 convolution from the
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
        cell=dict(type='PrecipLSTMCell', kernel_size=3, window_size=31),
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
