# E3D-LSTM at the MS-RNN setting (not in the MS-RNN paper): 6 layers x 64
# channels, 3D kernels 2x3x3, windows of 2 frames, no patching, a 1x1
# convolution from the frame to 64 channels and a 1x1 convolution back (from
# the 2 x 64 channels of the top layer's clip); loss = per-frame sum of
# squared plus absolute error. The global recall at full resolution costs
# O((2HW)^2 * tau) per layer and step, so this config recalls per pixel
# (recall_scope='pixel'); patch the frames to afford the global recall.
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
            type='E3DLSTMCell',
            kernel_size=3,
            window_length=2,
            temporal_kernel_size=2,
            tau=19,
            # global recall at 64x64 would attend over tau * 2 * 64 * 64
            # memory positions per query (~20 GB per layer and step at
            # batch 4); at this unpatched setting recall per pixel
            recall_scope='pixel'),
        num_layers=6,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1),
    loss=dict(type='FrameLoss', error='l1+l2', reduction='frame_sum'),
)
