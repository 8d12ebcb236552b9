# MS-RNN setting: Adam, learning rate 3e-4, batch 4, 20 epochs of 10,000
# Moving MNIST sequences = 50k iterations; scheduled sampling eta falls
# linearly from 1 to 0 over the whole run.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=3e-4))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=None),
]
