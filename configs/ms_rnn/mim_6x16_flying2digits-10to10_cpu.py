# MIM as a single-scale stack at the MS-RNN setting scaled down for the
# CPU comparison of tools/analysis_tools/ms_rnn_benchmark.py: 6 layers x 16
# channels (not 64), 3x3 kernels, no patching, 1x1 stem and head, L1+L2
# per-frame loss, 64x64 frames of two flying digits, 10 -> 10, batch 4,
# 360 iterations.
_base_ = [
    '../_base_/models/mim_6x64_msrnn.py',
    '../_base_/ms_rnn_cpu.py',
]

model = dict(stem=dict(out_channels=16), neck=dict(hidden_channels=16))
