# TMU Table 1, row "L2-SP, 2 digits" (Li et al., 2018): finetune the
# ConvLSTM trained on two flying digits with the pull towards its weights
# (alpha 0.1, beta 0.01 as stated for a per-pixel-mean loss; L2SP scales
# them to this config's per-frame-sum loss).
_base_ = '../_base_/transfer/flying3digits_target.py'

model = dict(
    transfer=dict(
        type='L2SP',
        config='configs/convlstm/convlstm_4x64_flying2digits-10to10.py',
        alpha=0.1,
        beta=0.01))
