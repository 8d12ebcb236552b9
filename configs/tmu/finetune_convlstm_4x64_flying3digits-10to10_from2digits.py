# TMU Table 1, row "finetune, 2 digits": the ConvLSTM (4 x 64) starts from
# the ConvLSTM trained on two flying digits and trains all its weights on
# three digits. (The paper's "TMU (finetune)" rows have the ConvLSTM's 3.0M
# parameters and run time: the finetuned network is the ConvLSTM.)
_base_ = '../_base_/transfer/flying3digits_target.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config='configs/convlstm/convlstm_4x64_flying2digits-10to10.py'))
