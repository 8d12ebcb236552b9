# A source model of the CPU reproduction of TMU Table 1
# (tools/analysis_tools/transfer_benchmark.py --preset table1-cpu): the tiny
# 2 x 32 ConvLSTM trained longer than the _tiny config (1000 iterations on
# 4000 sequences of two flying digits), so that it is a useful teacher.
_base_ = './convlstm_2x32_flying2digits-10to10_tiny.py'

train_cfg = dict(max_iters=1000, val_interval=250)
custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=500),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=250, max_keep_ckpts=1))
