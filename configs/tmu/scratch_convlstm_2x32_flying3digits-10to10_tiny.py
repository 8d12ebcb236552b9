# CPU transfer demo, baseline: the target trained from scratch.
_base_ = '../_base_/transfer/flying3digits_target_tiny.py'
