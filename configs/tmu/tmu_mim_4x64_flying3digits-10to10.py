# TMU Table 2, row "memory transfer, both", MIM backbone: TMU's memory
# distillers and transfer gates on every MIM layer
# (configs/_base_/models/tmu_mim_4x64.py) distil the memories C of the
# MIMs trained on one and on two flying digits (beta = 0.1); the target
# trains from scratch, the teachers are frozen.
_base_ = [
    '../_base_/models/tmu_mim_4x64.py',
    '../_base_/datasets/flying_digits_3digits.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    transfer=dict(
        type='MemoryTransfer',
        sources=[
            dict(name='1digit',
                 config='configs/mim/mim_4x64_flying1digit-10to10.py'),
            dict(name='2digits',
                 config='configs/mim/mim_4x64_flying2digits-10to10.py'),
        ],
        memory_state='c',
        beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
