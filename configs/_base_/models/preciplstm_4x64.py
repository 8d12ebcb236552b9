# PrecipLSTM at the PredRNN/TMU setting: 4 layers x 64 channels, 5x5
# kernels, frames patched 4x4 (64x64 -> 16 channels at 16x16), no stem,
# 1x1 output convolution without bias, per-frame sum of squared errors.
# The local attention window is 31 (odd; the authors' code uses 30), which
# covers the whole 16x16 map from every pixel.
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    stem=None,
    neck=dict(
        type='SingleScaleStack',
        cell=dict(type='PrecipLSTMCell', kernel_size=5, window_size=31),
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
