# CPU transfer demo: memory transfer (TMU) from the one- and two-digit
# sources into a target of TMU cells, trained from scratch.
_base_ = '../_base_/transfer/flying3digits_target_tiny.py'

model = dict(
    neck=dict(
        cell=dict(
            _delete_=True,
            type='TMUCell',
            kernel_size=3,
            gate_kernel_size=3,
            num_sources=2,
            peephole=True)),
    transfer=dict(
        type='MemoryTransfer',
        sources=[
            dict(name='1digit',
                 config='configs/convlstm/'
                 'convlstm_2x32_flying1digit-10to10_tiny.py'),
            dict(name='2digits',
                 config='configs/convlstm/'
                 'convlstm_2x32_flying2digits-10to10_tiny.py'),
        ],
        beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=100),
    dict(type='TransferGateHook', interval=100),
]
