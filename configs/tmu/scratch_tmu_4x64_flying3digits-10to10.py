# TMU Table 1, row "TMU (train from scratch)": the memory-transfer target
# network (TMU cells in all 4 layers, with the distillers and transfer gates
# of 2 sources: the parameters of tmu_convlstm_4x64_flying3digits-10to10)
# trained on three flying digits without any source. Its distillers and
# gates get no distillation signal, only the frame loss: the row that tells
# the architecture from the transferred knowledge.
_base_ = [
    '../_base_/models/tmu_convlstm_4x64.py',
    '../_base_/datasets/flying_digits_3digits.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]
