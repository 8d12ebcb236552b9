# TMU Table 1, baseline: ConvLSTM trained on three flying digits from
# scratch.
_base_ = '../_base_/transfer/flying3digits_target.py'
