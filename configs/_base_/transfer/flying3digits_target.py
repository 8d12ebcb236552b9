# TMU Table 1: the target task is three flying digits; the source models
# are ConvLSTMs (4 x 64, kernel 5, patch 4) trained on one and on two
# flying digits (configs/convlstm/). Adam 1e-3, batch 8, 80k iterations.
_base_ = '../../convlstm/convlstm_4x64_flying3digits-10to10.py'
