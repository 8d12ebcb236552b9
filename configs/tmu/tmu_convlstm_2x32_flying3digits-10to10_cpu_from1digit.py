# TMU Table 1 at CPU scale, row "memory transfer from 1digit": one source.
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    neck=dict(cell={{_base_.tmu_cell_one_source}}),
    transfer=dict(
        type='MemoryTransfer', sources=[{{_base_.source_1digit}}], beta=0.1))
