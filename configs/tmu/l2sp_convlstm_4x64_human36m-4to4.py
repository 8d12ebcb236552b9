# TMU Table 3 comparison on Human3.6M (128x128 RGB, 4 -> 4): L2-SP from the KTH
# ConvLSTM.
_base_ = '../_base_/transfer/human36m_target.py'

model = dict(
    transfer=dict(type='L2SP', config={{_base_.kth}}, alpha=0.1, beta=0.01))
