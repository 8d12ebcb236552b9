# TMU / PredRNN setting: Adam, learning rate 1e-3, 80k iterations.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=80000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# eta falls from 1 by 2e-5 per iteration and is 0 after 50k (PredRNN)
custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
]
