# PredRNN as a single-scale stack (the reference for MS-PredRNN),
# at the MS-RNN setting (6 layers x 64, 3x3 kernels, no patching, Adam 3e-4,
# batch 4, 50k iterations) on Moving MNIST (trained on flying MNIST digits,
# tested on mnist_test_seq.npy).
_base_ = [
    '../_base_/models/predrnn_6x64_msrnn.py',
    '../_base_/datasets/moving_mnist_msrnn.py',
    '../_base_/schedules/adam_lr3e-4_50k_msrnn.py',
    '../_base_/default_runtime.py',
]
