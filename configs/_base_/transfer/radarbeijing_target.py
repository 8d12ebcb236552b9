# TMU Tables 4-5: the target task is the Beijing radar echoes (256x256,
# 10 -> 10, patch 4: memories 64 x 64x64, 3x3 kernels; TMU Sec. 4.3), from
# the ConvLSTM of configs/convlstm/convlstm_4x64_radarbeijing-10to10.py.
# Adam 1e-3, batch 8, 80k iterations.
#
# The sources below are ConvLSTMs (4 x 64, 3x3 kernels) whose memories are
# 64 x 64x64 too (TMU Sec. 4: K chosen per domain so that H/K and W/K
# agree): Guangzhou 2014 and 2016 radar at 256x256 with patch 4 (the same
# format as the target: no adapter), 2-digit flying MNIST at 64x64 with
# patch 1 and KTH at 128x128 with patch 2; the last two see the radar
# frames resized to their own size (the target frames are gray like
# theirs). Train a source with python tools/train.py <its config>.
_base_ = '../../convlstm/convlstm_4x64_radarbeijing-10to10.py'

guangzhou2014 = dict(
    name='guangzhou2014',
    config='configs/convlstm/convlstm_4x64_radarguangzhou2014-10to10.py')
guangzhou2016 = dict(
    name='guangzhou2016',
    config='configs/convlstm/convlstm_4x64_radarguangzhou2016-10to10.py')
mnist_2digits = dict(
    name='2digits',
    config='configs/convlstm/convlstm_4x64_flying2digits-10to10_patch1-k3.py',
    adapter=dict(size=(64, 64), channels=1))
kth = dict(
    name='kth',
    config='configs/convlstm/convlstm_4x64_kth-10to10_patch2-k3.py',
    adapter=dict(size=(128, 128), channels=1))

# the target's TMU layers: 3x3 ConvLSTM gates and 3x3 transfer gates (one
# fused convolution), peepholes, GroupNorm(1, C) distillers, H from C_t
tmu_cell = dict(
    type='TMUCell',
    kernel_size=3,
    gate_kernel_size=3,
    num_sources=2,
    peephole=True,
    distiller_norm='group',
    hidden_from='transferred')
