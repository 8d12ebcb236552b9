# PredRNN (ST-LSTM) at the MS-RNN setting (MS-RNN Sec. 5, Table 3: 3.59M
# parameters): 6 layers x 64 channels, 3x3 kernels, no patching, a 1x1
# convolution from the frame to 64 channels and a 1x1 convolution back; loss =
# per-frame sum of squared plus absolute error. The MS-RNN code adds no
# constant forget bias (PredRNN's code adds 1).
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=1),
    stem=dict(type='Conv2d', out_channels=64, kernel_size=1),
    neck=dict(
        type='SingleScaleStack',
        cell=dict(
            type='SpatioTemporalLSTMCell', kernel_size=3, forget_bias=0.0),
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
