# TMU Table 1 at CPU scale, row "finetune from 2digits".
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config={{_base_.source_2digits.config}},
        checkpoint={{_base_.source_2digits.checkpoint}}))
