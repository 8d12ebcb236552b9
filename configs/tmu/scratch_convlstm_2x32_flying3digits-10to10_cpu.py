# TMU Table 1 at CPU scale, row "ConvLSTM, from scratch".
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'
