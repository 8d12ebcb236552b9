# TMU Table 3: memory transfer into Human3.6M (128x128 RGB, 4 -> 4) from
# ConvLSTMs trained on KTH and on Weizmann. The target has TMU cells in all
# 4 layers (64 channels, 5x5 kernels, 3x3 transfer gates, as in
# configs/_base_/models/tmu_convlstm_4x64.py); its memories and the
# sources' are 64 x 32 x 32 (4x4 patches of 128x128 frames). Train the
# sources first:
#   python tools/train.py configs/convlstm/convlstm_4x64_kth-10to10.py
#   python tools/train.py configs/convlstm/convlstm_4x64_weizmann-10to10.py
_base_ = '../_base_/transfer/human36m_target.py'

model = dict(
    neck=dict(
        cell=dict(
            type='TMUCell',
            kernel_size=5,
            gate_kernel_size=3,
            num_sources=2,
            peephole=True,
            distiller_norm='group',
            hidden_from='transferred')),
    transfer=dict(type='MemoryTransfer', sources={{_base_.sources}},
                  beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
