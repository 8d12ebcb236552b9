# TMU Table 1, finetune: start from the ConvLSTM trained on two digits.
_base_ = '../_base_/transfer/flying3digits_target.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config='configs/convlstm/convlstm_4x64_flying2digits-10to10.py'))
