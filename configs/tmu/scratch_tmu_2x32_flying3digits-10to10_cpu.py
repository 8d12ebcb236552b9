# TMU Table 1 at CPU scale, row "TMU, from scratch": the TMU network (same
# parameters as the memory-transfer student) without sources: its
# distillers and gates get no distillation signal.
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(neck=dict(cell={{_base_.tmu_cell}}))
