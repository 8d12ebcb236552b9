# TMU Table 6: the target task is KTH (all six actions, 128x128 gray,
# 10 -> 10, patch 4: memories 64 x 32x32), from the ConvLSTM of
# configs/convlstm/convlstm_4x64_kth-10to10.py (4 x 64, 5x5 kernels). Adam
# 1e-3, batch 8, 80k iterations.
#
# Sources (ConvLSTMs, 4 x 64, 5x5 kernels, memories 64 x 32x32 too):
# - Human3.6M: the ConvLSTM of TMU Table 3 (128x128 RGB, patch 4, trained
#   4 -> 4); it sees the KTH frames with the gray channel repeated to RGB
#   and runs in lockstep over KTH's 20 frames. (TMU does not say how its
#   Human3.6M source was trained; this one is the Table 3 model.)
# - 2-digit flying MNIST at 64x64 with patch 2; it sees the KTH frames
#   resized to 64x64.
_base_ = '../../convlstm/convlstm_4x64_kth-10to10.py'

human36m = dict(
    name='human36m',
    config='configs/convlstm/convlstm_4x64_human36m-4to4.py',
    adapter=dict(channels=3))
mnist_2digits = dict(
    name='2digits',
    config='configs/convlstm/convlstm_4x64_flying2digits-10to10_patch2.py',
    adapter=dict(size=(64, 64), channels=1))

# the target's TMU layers for one source: as configs/_base_/models/
# tmu_convlstm_4x64.py (5x5 ConvLSTM gates, 3x3 transfer gates, peepholes)
tmu_cell = dict(
    type='TMUCell',
    kernel_size=5,
    gate_kernel_size=3,
    num_sources=1,
    peephole=True,
    distiller_norm='group',
    hidden_from='transferred')
