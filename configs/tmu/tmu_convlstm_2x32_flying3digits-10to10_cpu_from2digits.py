# TMU Table 1 at CPU scale, row "memory transfer from 2digits": one source.
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    neck=dict(
        cell=dict(
            _delete_=True,
            type='TMUCell',
            kernel_size=3,
            gate_kernel_size=3,
            num_sources=1,
            peephole=True)),
    transfer=dict(
        type='MemoryTransfer', sources=[{{_base_.source_2digits}}], beta=0.1))
