# ConvLSTM at the TMU setting (4 x 64, 5x5 kernels, Adam 1e-3, batch 8, 80k
# iterations) on two flying digits with 2x2 patches (64x64x1 -> 4 x
# 32x32): the 2-digit MNIST source of TMU Table 6, whose target is KTH
# (128x128, patch 4). Its memories are 64 x 32x32 like the KTH target's;
# as a teacher it sees the KTH frames resized to 64x64
# (adapter=dict(size=(64, 64)), configs/_base_/transfer/kth_target.py).
_base_ = './convlstm_4x64_flying2digits-10to10.py'

model = dict(data_preprocessor=dict(patch_size=2))
