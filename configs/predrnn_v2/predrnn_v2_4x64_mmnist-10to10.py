# PredRNN-V2 (ST-LSTM + memory decoupling, reverse scheduled sampling) at the
# PredRNN/TMU setting (4 x 64, 5x5 kernels, 4x4 patches, Adam 1e-3, batch 8,
# 80k iterations) on Moving MNIST: trained on two digits of MNIST flying on
# the fly, tested on mnist_test_seq.npy.
_base_ = [
    '../_base_/models/predrnn_v2_4x64.py',
    '../_base_/datasets/moving_mnist.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

# Decoupling loss weight: MS-RNN's "0.01 * decoupling loss" (summed over
# layers and channels, on a per-frame-sum frame loss) is 0.01 * 64 channels
# on the cells' per-channel mean; see README.md for the derivation and for
# the weight that matches the PredRNN-V2 code's own convention instead.
model = dict(aux_loss_weights=dict(loss_decouple=0.64))

# Reverse scheduled sampling (PredRNN-V2; the values of the authors'
# Moving MNIST script): until 25k iterations observed and future steps both
# read the true frame with probability 0.5; from 25k to 50k the observed
# steps' probability rises as 1 - 0.5 exp(-(it - 25k) / 2500) and the future
# steps' falls linearly to 0; afterwards they are 1 and 0.
custom_hooks = [
    dict(
        type='ScheduledSamplingHook',
        schedule='reverse',
        start_iter=25000,
        end_iter=50000,
        exp_alpha=2500),
]
