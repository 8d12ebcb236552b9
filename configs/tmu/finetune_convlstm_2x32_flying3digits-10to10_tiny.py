# CPU transfer demo: finetune the two-digit source on the target.
_base_ = '../_base_/transfer/flying3digits_target_tiny.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config='configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py',
        checkpoint=None))
