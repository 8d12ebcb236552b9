# ConvLSTM as a single-scale stack at the MS-RNN setting scaled down for the
# CPU comparison of tools/analysis_tools/ms_rnn_benchmark.py: 6 layers x 16
# channels (not 64), 3x3 kernels, no patching, 1x1 stem and head, L1+L2
# per-frame loss, 64x64 frames of two flying digits, 10 -> 10, batch 4,
# 360 iterations.
_base_ = [
    '../_base_/models/convlstm_6x64_msrnn.py',
    '../_base_/datasets/flying_digits_2digits_cpu.py',
    '../_base_/schedules/adam_lr1e-3_360_msrnn_cpu.py',
    '../_base_/default_runtime.py',
]

model = dict(stem=dict(out_channels=16), neck=dict(hidden_channels=16))
# model selection on the validation split only: the best checkpoint by
# validation MSE is the one tested
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(
        interval=90, max_keep_ckpts=1, save_best='mse_per_frame',
        rule='less'))
# every logged iteration time is the mean of the 10 iterations since the
# last log (the benchmark reports the median of those means)
log_processor = dict(window_size=10)
