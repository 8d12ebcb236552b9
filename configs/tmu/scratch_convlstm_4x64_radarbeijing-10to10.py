# TMU Table 4 reference: the ConvLSTM (4 x 64, 3x3 kernels, patch 4) trained
# on the Beijing radar echoes from scratch (the network of the Guangzhou
# sources and of the finetune rows).
_base_ = '../_base_/transfer/radarbeijing_target.py'
