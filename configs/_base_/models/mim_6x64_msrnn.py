# MIM at the MS-RNN setting (MS-RNN Sec. 5; Table 3 reports 7.36M parameters
# for the authors' code, which builds a full MIM cell at layer 0 and unused
# forget-gate convolutions in every layer; this faithful model has fewer, see
# configs/mim/README.md): 6 layers x 64 channels, 3x3 kernels, no patching,
# a 1x1 convolution from the frame to 64 channels and a 1x1 convolution back;
# loss = per-frame sum of squared plus absolute error. Layer 0 is an ST-LSTM
# without a constant forget bias (as in the MS-RNN code; PredRNN's code adds
# 1), layers 1-5 are MIM blocks.
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=1),
    stem=dict(type='Conv2d', out_channels=64, kernel_size=1),
    neck=dict(
        type='SingleScaleStack',
        cell=[
            dict(
                type='SpatioTemporalLSTMCell', kernel_size=3,
                forget_bias=0.0)
        ] +
        [dict(type='MIMCell', kernel_size=3) for _ in range(5)],
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
