# PredRNN++ (Causal LSTM + Gradient Highway Unit) at the PredRNN/TMU setting:
# 4 layers x 64 channels, 5x5 kernels, frames patched 4x4, no stem, 1x1
# output convolution without bias, per-frame-sum L2 loss. The GHU sits
# between layers 0 and 1: it runs inside layer 1 (highway=True), whose state
# list gains the highway state z.
causal_lstm = dict(type='CausalLSTMCell', kernel_size=5)
model = dict(
    type='RecurrentPredictor',
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    stem=None,
    neck=dict(
        type='SingleScaleStack',
        cell=[
            causal_lstm,
            dict(causal_lstm, highway=True),
            causal_lstm,
            causal_lstm,
        ],
        num_layers=4,
        hidden_channels=64),
    head=dict(type='Conv2d', kernel_size=1, bias=False),
    loss=dict(type='FrameLoss', error='l2', reduction='frame_sum'),
)
