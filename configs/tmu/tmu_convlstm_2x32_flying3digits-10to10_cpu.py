# TMU Table 1 at CPU scale, row "memory transfer from 1 + 2 digits": a TMU
# student trained from scratch with both sources' memories (beta 0.1).
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    neck=dict(cell={{_base_.tmu_cell}}),
    transfer=dict(
        type='MemoryTransfer',
        sources=[{{_base_.source_1digit}}, {{_base_.source_2digits}}],
        beta=0.1))
custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=150),
    dict(type='TransferGateHook', interval=50),
]
