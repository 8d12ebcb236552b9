# TMU Table 4, row "train from scratch" (the paper's "training-from-scratch
# TMU baseline", Sec. 4.4): the TMU target network (TMU cells in all 4
# layers, the distillers and transfer gates of 2 sources, as in
# tmu_convlstm_4x64_radarbeijing-10to10) trained on the Beijing radar
# without any source.
_base_ = '../_base_/transfer/radarbeijing_target.py'

model = dict(neck=dict(cell={{_base_.tmu_cell}}))
