# TMU Table 1 at CPU scale, row "finetune from 1digit".
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    transfer=dict(
        type='Finetune',
        config={{_base_.source_1digit.config}},
        checkpoint={{_base_.source_1digit.checkpoint}}))
