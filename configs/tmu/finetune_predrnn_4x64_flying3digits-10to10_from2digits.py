# TMU Table 2, row "finetune, 2 digits", PredRNN backbone: the PredRNN starts
# from the PredRNN trained on two flying digits and trains all its weights on
# three digits.
_base_ = './scratch_predrnn_4x64_flying3digits-10to10.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config='configs/predrnn/predrnn_4x64_flying2digits-10to10.py'))
