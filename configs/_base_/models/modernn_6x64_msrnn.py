# MoDeRNN at the MS-RNN setting (MS-RNN Sec. 5, Table 6: 5.86M
# parameters; this model has 5,853,121): 6 layers x 64 channels, 3x3 gate
# kernels, detail context block with 3x3, 5x5 and 7x7 kernels and 5 rounds,
# no patching, a 1x1 convolution from the frame to 64 channels and a 1x1
# convolution back; loss = per-frame sum of squared plus absolute error.
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
            type='MoDeRNNCell',
            kernel_size=3,
            dcb_kernel_sizes=(3, 5, 7),
            dcb_iterations=5),
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
