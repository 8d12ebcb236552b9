# ConvLSTM (4 x 64, 3x3 kernels, Adam 1e-3, batch 8, 80k iterations) on KTH
# (128x128 gray, 10 -> 10) with 2x2 patches (128x128x1 -> 4 x 64x64): the
# KTH source of TMU Table 4, whose target is the Beijing radar. Its
# memories are 64 x 64x64 like those of the radar target (256x256 frames,
# patch 4) and its kernels 3x3 like every model of the radar benchmark (TMU
# Sec. 4.3); as a teacher it sees the radar frames resized to 128x128
# (adapter=dict(size=(128, 128)) in
# configs/_base_/transfer/radarbeijing_target.py).
_base_ = './convlstm_4x64_kth-10to10.py'

model = dict(
    data_preprocessor=dict(patch_size=2),
    neck=dict(cell=dict(type='ConvLSTMCell', kernel_size=3)))
