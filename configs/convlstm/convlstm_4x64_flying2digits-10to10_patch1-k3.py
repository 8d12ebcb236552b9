# ConvLSTM (4 x 64, 3x3 kernels, Adam 1e-3, batch 8, 80k iterations) on two
# flying digits WITHOUT patching (64x64 frames, patch 1): the 2-digit MNIST
# source of TMU Table 4, whose target is the Beijing radar. Its memories
# are 64 x 64x64 like those of the radar target (256x256 frames, patch 4)
# and its kernels 3x3 like every model of the radar benchmark (TMU Sec.
# 4.3); as a teacher it sees the radar frames resized to 64x64
# (adapter=dict(size=(64, 64)) in
# configs/_base_/transfer/radarbeijing_target.py).
_base_ = './convlstm_4x64_flying2digits-10to10.py'

model = dict(
    data_preprocessor=dict(patch_size=1),
    neck=dict(cell=dict(type='ConvLSTMCell', kernel_size=3)))
