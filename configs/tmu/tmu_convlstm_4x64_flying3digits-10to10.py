# TMU Table 1, memory transfer: a target of TMU cells (4 x 64) distils the
# memories of the ConvLSTMs trained on one and on two flying digits
# (beta = 0.1); the target trains from scratch, teachers frozen.
_base_ = [
    '../_base_/models/tmu_convlstm_4x64.py',
    '../_base_/datasets/flying_digits_3digits.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    transfer=dict(
        type='MemoryTransfer',
        sources=[
            dict(name='1digit',
                 config='configs/convlstm/'
                 'convlstm_4x64_flying1digit-10to10.py'),
            dict(name='2digits',
                 config='configs/convlstm/'
                 'convlstm_4x64_flying2digits-10to10.py'),
        ],
        beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
