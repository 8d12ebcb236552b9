# The recipe of the CPU comparison of tools/analysis_tools/ms_rnn_benchmark.py
# (every model of configs/ms_rnn/*_6x16_*_cpu.py): 64x64 frames of two
# flying digits, 10 -> 10, batch 4, 360 iterations; a model base gives the
# network.
_base_ = [
    './datasets/flying_digits_2digits_cpu.py',
    './schedules/adam_lr1e-3_360_msrnn_cpu.py',
    './default_runtime.py',
]

# model selection on the validation split only: the best checkpoint by
# validation MSE is the one tested
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=90, max_keep_ckpts=1))
# every logged iteration time is the mean of the 10 iterations since the
# last log (the benchmark reports the median of those means)
log_processor = dict(window_size=10)
