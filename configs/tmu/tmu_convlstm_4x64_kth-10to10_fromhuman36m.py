# TMU Table 6, row "memory transfer, Human3.6M": a TMU target on KTH (TMU
# cells in all 4 layers, one source) distils the memories of the Human3.6M
# ConvLSTM (beta = 0.1), which sees the gray KTH frames as RGB. Train the
# source first:
#   python tools/train.py configs/convlstm/convlstm_4x64_human36m-4to4.py
_base_ = '../_base_/transfer/kth_target.py'

model = dict(
    neck=dict(cell={{_base_.tmu_cell}}),
    transfer=dict(
        type='MemoryTransfer', sources=[{{_base_.human36m}}], beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
