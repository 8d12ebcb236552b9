# TMU Table 4, row "memory transfer, 2-digits MNIST & KTH": content-
# unrelated sources for the Beijing radar target (beta = 0.1): the ConvLSTMs
# (3x3 kernels) trained on two flying digits at 64x64 with patch 1 and on
# KTH at 128x128 with patch 2, so that their memories are 64 x 64x64 like
# the target's; they see the radar frames resized to 64x64 and 128x128.
# Train the sources first:
#   python tools/train.py \
#       configs/convlstm/convlstm_4x64_flying2digits-10to10_patch1-k3.py
#   python tools/train.py \
#       configs/convlstm/convlstm_4x64_kth-10to10_patch2-k3.py
_base_ = './tmu_convlstm_4x64_radarbeijing-10to10.py'

model = dict(
    transfer=dict(sources=[{{_base_.mnist_2digits}}, {{_base_.kth}}]))
