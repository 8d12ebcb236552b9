# TMU Table 2, row "finetune, 1 digit", MIM backbone: the MIM starts
# from the MIM trained on one flying digit and trains all its weights on
# three digits.
_base_ = './scratch_mim_4x64_flying3digits-10to10.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config='configs/mim/mim_4x64_flying1digit-10to10.py'))
