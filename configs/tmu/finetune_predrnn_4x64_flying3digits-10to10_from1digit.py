# TMU Table 2, row "finetune, 1 digit", PredRNN backbone: the PredRNN starts
# from the PredRNN trained on one flying digit and trains all its weights on
# three digits.
_base_ = './scratch_predrnn_4x64_flying3digits-10to10.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config='configs/predrnn/predrnn_4x64_flying1digit-10to10.py'))
