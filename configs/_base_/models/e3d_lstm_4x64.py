# E3D-LSTM at the PredRNN/TMU setting (the authors' Moving MNIST script):
# 4 layers x 64 channels, 3D kernels 2x5x5, windows of 2 frames, frames
# patched 4x4 (64x64 -> 16 channels at 16x16). The recall attends to every
# past memory state (tau = T_in + T_out - 1 = 19), as the authors' code does.
# The 1x1 head reads the whole 2-slot clip of the top layer (2 x 64
# channels): the authors' [2, 1, 1] temporal-stride-2 output convolution.
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
            type='E3DLSTMCell',
            kernel_size=5,
            window_length=2,
            temporal_kernel_size=2,
            tau=19,
            recall_scope='global'),
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
