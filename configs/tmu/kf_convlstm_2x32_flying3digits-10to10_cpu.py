# TMU Table 1 at CPU scale, row "knowledge flow from 1 + 2 digits" (Liu et
# al., 2019): the teachers' weight reaches 0 at half the run.
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    transfer=dict(
        type='KnowledgeFlow',
        sources=[{{_base_.source_1digit}}, {{_base_.source_2digits}}],
        curriculum_end=0.5))
