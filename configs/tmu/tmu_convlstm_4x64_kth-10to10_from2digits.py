# TMU Table 6, row "memory transfer, 2-digits MNIST": a TMU target on KTH
# (TMU cells in all 4 layers, one source) distils the memories of the
# ConvLSTM trained on two flying digits with 2x2 patches (64 x 32x32
# memories like KTH's at patch 4; beta = 0.1), which sees the KTH frames
# resized to 64x64. Train the source first:
#   python tools/train.py \
#       configs/convlstm/convlstm_4x64_flying2digits-10to10_patch2.py
_base_ = '../_base_/transfer/kth_target.py'

model = dict(
    neck=dict(cell={{_base_.tmu_cell}}),
    transfer=dict(
        type='MemoryTransfer', sources=[{{_base_.mnist_2digits}}], beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
