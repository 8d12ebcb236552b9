# PredRNN-V2 (ST-LSTM + memory decoupling) at the PredRNN/TMU setting: 4
# layers x 64 channels, 5x5 kernels, frames patched 4x4, no stem, 1x1 output
# convolution without bias, per-frame-sum L2 loss.
# Decoupling weight: the cells report mean_{batch, channel} |cos| per layer
# and step; the predictor sums over layers and averages over steps. MS-RNN
# adds 0.01 * sum over layers and channels (mean over steps and batch) to
# the same per-frame-sum loss, so the matching weight is 0.01 * 64 channels
# = 0.64 (see configs/predrnn_v2/README.md).
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    stem=None,
    neck=dict(
        type='SingleScaleStack',
        cell=dict(type='SpatioTemporalLSTMv2Cell', kernel_size=5),
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
    aux_loss_weights=dict(loss_decouple=0.64),
)
