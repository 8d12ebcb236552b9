# MotionRNN (MIM backbone) at the MS-RNN setting (MS-RNN Sec. 5; Table 3
# reports 7.56M parameters for the authors' code, which has unused layers;
# this faithful model has fewer, see configs/motionrnn/README.md): 6 layers x
# 64 channels, 3x3 kernels, no patching, 1x1 convolutions from the frame to
# 64 channels and back; loss = per-frame sum of squared plus absolute error.
# Layer 0 is an ST-LSTM without a constant forget bias (as in the MS-RNN
# code; PredRNN's code adds 1), layers 1-5 are MIM blocks with the MotionGRU
# below them and the Motion Highway.
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
        [dict(type='MotionMIMCell', kernel_size=3) for _ in range(5)],
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
