# TMU Table 3, row "finetune, KTH" (ConvLSTM column) on Human3.6M (128x128
# RGB, 4 -> 4): start from the KTH ConvLSTM (layer 0 and the head read and
# write RGB, so they start fresh).
_base_ = '../_base_/transfer/human36m_target.py'

model = dict(transfer=dict(type='Finetune', config={{_base_.kth}}))
