# TMU Table 3, row "finetune, KTH" (MIM column) on Human3.6M (128x128 RGB,
# 4 -> 4): start from the KTH MIM (layer 0 and the head read and write RGB,
# so they start fresh).
_base_ = './scratch_mim_4x64_human36m-4to4.py'

model = dict(transfer=dict(type='Finetune', config={{_base_.kth}}))
