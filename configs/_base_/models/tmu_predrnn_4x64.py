# TMU upon PredRNN (TMU Table 2): the PredRNN of predrnn_4x64.py (4 x 64
# ST-LSTMs, 5x5 kernels, 4x4 patches) with TMU's memory distillers (Eq. 3)
# and transfer gates (Eq. 5) on the temporal memory C of every layer,
# through MemoryTransferWrapper, for 2 source models. The transfer gates
# use 3x3 kernels like the ConvLSTM TMU (tmu_convlstm_4x64.py). The
# wrapper keeps the ST-LSTM's own hidden state (computed from C~, see
# MemoryTransferWrapper); the zigzag memory M passes through unchanged.
# Without teachers (test time) the model runs as is.
_base_ = './predrnn_4x64.py'

model = dict(
    neck=dict(
        cell=dict(
            _delete_=True,
            type='MemoryTransferWrapper',
            cell=dict(type='SpatioTemporalLSTMCell', kernel_size=5),
            num_sources=2,
            memory_state='c',
            gate_kernel_size=3,
            distiller_norm='group')))
