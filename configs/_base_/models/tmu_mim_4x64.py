# TMU upon MIM (TMU Table 2): the MIM of mim_4x64.py (an ST-LSTM and three
# MIM blocks, 4 x 64, 5x5 kernels, 4x4 patches) with TMU's memory
# distillers (Eq. 3) and transfer gates (Eq. 5) on the memory C of every
# layer, through MemoryTransferWrapper, for 2 source models. The transfer
# gates use 3x3 kernels like the ConvLSTM TMU (tmu_convlstm_4x64.py). The
# wrapper keeps the inner cell's own hidden state (computed from C~); the
# zigzag memory M and MIM's diagonal input pass through unchanged.
_base_ = './mim_4x64.py'

model = dict(
    neck=dict(cell=[
        dict(type='MemoryTransferWrapper',
             cell=dict(type='SpatioTemporalLSTMCell', kernel_size=5),
             num_sources=2, memory_state='c', gate_kernel_size=3,
             distiller_norm='group'),
        dict(type='MemoryTransferWrapper',
             cell=dict(type='MIMCell', kernel_size=5),
             num_sources=2, memory_state='c', gate_kernel_size=3,
             distiller_norm='group'),
        dict(type='MemoryTransferWrapper',
             cell=dict(type='MIMCell', kernel_size=5),
             num_sources=2, memory_state='c', gate_kernel_size=3,
             distiller_norm='group'),
        dict(type='MemoryTransferWrapper',
             cell=dict(type='MIMCell', kernel_size=5),
             num_sources=2, memory_state='c', gate_kernel_size=3,
             distiller_norm='group'),
    ]))
