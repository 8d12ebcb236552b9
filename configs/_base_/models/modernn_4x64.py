# MoDeRNN at the PredRNN/TMU setting: 4 layers x 64 channels, 5x5 gate
# kernels, detail context block with 3x3, 5x5 and 7x7 kernels and 5 rounds,
# frames patched 4x4 (64x64 -> 16 channels at 16x16), no stem, 1x1 output
# convolution without bias, per-frame sum of squared errors.
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
            type='MoDeRNNCell',
            kernel_size=5,
            dcb_kernel_sizes=(3, 5, 7),
            dcb_iterations=5),
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
