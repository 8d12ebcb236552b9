# TMU Table 6, row "train from scratch": the ConvLSTM (4 x 64, 5x5 kernels,
# patch 4; "all models are built upon the ConvLSTM network") trained on KTH
# (128x128 gray, 10 -> 10) without any source.
_base_ = '../_base_/transfer/kth_target.py'
