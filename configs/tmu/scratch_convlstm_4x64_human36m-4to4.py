# TMU Table 3 comparison on Human3.6M (128x128 RGB, 4 -> 4): from scratch.
_base_ = '../_base_/transfer/human36m_target.py'

