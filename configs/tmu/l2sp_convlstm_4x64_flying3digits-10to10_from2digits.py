# TMU Table 1, L2-SP (Li et al., 2018) from the two-digit ConvLSTM.
_base_ = '../_base_/transfer/flying3digits_target.py'

model = dict(
    transfer=dict(
        type='L2SP',
        config='configs/convlstm/convlstm_4x64_flying2digits-10to10.py',
        alpha=0.1,
        beta=0.01))
