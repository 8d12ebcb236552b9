# TMU Table 3 comparison on Human3.6M (128x128 RGB, 4 -> 4): finetune from the
# KTH ConvLSTM (layer 0 reads RGB, so it starts fresh).
_base_ = '../_base_/transfer/human36m_target.py'

model = dict(transfer=dict(type='Finetune', config={{_base_.kth}}))
