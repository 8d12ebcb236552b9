# PredRNN++ (Causal LSTM, Gradient Highway Unit inside layer 1) at the
# PredRNN/TMU setting (4 x 64, 5x5 kernels, 4x4 patches, Adam 1e-3, batch 8,
# 80k iterations) on Moving MNIST: trained on two digits of MNIST flying on
# the fly, tested on mnist_test_seq.npy.
_base_ = [
    '../_base_/models/predrnnpp_4x64.py',
    '../_base_/datasets/moving_mnist.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]
