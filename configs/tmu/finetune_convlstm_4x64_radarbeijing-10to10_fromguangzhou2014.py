# TMU Table 4, row "finetune, Guangzhou 2014": the radar ConvLSTM (4 x 64, 3x3
# kernels, patch 4) starts from the ConvLSTM trained on Guangzhou 2014 and
# trains all its weights on the Beijing radar. (As in TMU Table 1, where the
# "TMU (finetune)" rows have the ConvLSTM's parameters, the finetuned
# network is the source's ConvLSTM.)
_base_ = '../_base_/transfer/radarbeijing_target.py'

model = dict(
    transfer=dict(type='Finetune', config={{_base_.guangzhou2014.config}}))
