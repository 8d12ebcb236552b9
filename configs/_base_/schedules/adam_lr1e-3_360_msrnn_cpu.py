# The MS-RNN recipe scaled down to a CPU budget (see
# tools/analysis_tools/ms_rnn_benchmark.py): Adam at 1e-3 (the PredRNN / TMU
# rate; the short run takes the larger of the two recipes' rates, fixed before
# any run and the same for every model), batch 4, 360 iterations; scheduled
# sampling eta falls linearly from 1 to 0 over the whole run as in MS-RNN;
# validation every 90 iterations (the configs keep the best checkpoint by
# validation MSE).
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=360, val_interval=90)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=None),
]
