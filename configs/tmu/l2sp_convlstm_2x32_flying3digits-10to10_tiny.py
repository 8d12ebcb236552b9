# CPU transfer demo: L2-SP from the two-digit source (Li et al., 2018).
_base_ = '../_base_/transfer/flying3digits_target_tiny.py'

model = dict(
    transfer=dict(
        type='L2SP',
        config='configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py',
        checkpoint=None,
        alpha=0.1,
        beta=0.01))
