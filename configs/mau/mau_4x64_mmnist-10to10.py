# MAU at the PredRNN/TMU setting (4 x 64, 5x5 kernels, 4x4 patches,
# Adam 1e-3, batch 8, 80k iterations, scheduled sampling) on Moving MNIST:
# trained on two digits of MNIST flying on the fly, tested on
# mnist_test_seq.npy.
_base_ = [
    '../_base_/models/mau_4x64.py',
    '../_base_/datasets/moving_mnist.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]


# Scheduled sampling really decays here (OpenSTL's MAU kept eta at its start
# value): eta falls linearly from 1 to 0 at 50k iterations, as in the
# authors' code (1 - 2e-5 per iteration).
custom_hooks = [
    dict(
        type='ScheduledSamplingHook',
        schedule='linear',
        start_eta=1.0,
        end_iter=50000),
]
