# TMU Table 4, row "memory transfer, Guangzhou 2014 & 2016": precipitation
# nowcasting on the Beijing radar echoes (256x256, 10 -> 10, patch 4, 3x3
# kernels), with memories transferred from ConvLSTMs trained on Guangzhou
# 2014 and Guangzhou 2016 (beta = 0.1). Train the sources first:
#   python tools/train.py \
#       configs/convlstm/convlstm_4x64_radarguangzhou2014-10to10.py
#   python tools/train.py \
#       configs/convlstm/convlstm_4x64_radarguangzhou2016-10to10.py
_base_ = '../_base_/transfer/radarbeijing_target.py'

model = dict(
    neck=dict(cell={{_base_.tmu_cell}}),
    transfer=dict(
        type='MemoryTransfer',
        sources=[{{_base_.guangzhou2014}}, {{_base_.guangzhou2016}}],
        beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
