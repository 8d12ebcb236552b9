# TMU Table 4: precipitation nowcasting on the Beijing radar echoes (256x256,
# 10 -> 10, patch 4, 3x3 kernels), with memories transferred from ConvLSTMs
# trained on Guangzhou 2014 and Guangzhou 2016. Train the sources first:
#   python tools/train.py configs/convlstm/convlstm_4x64_radarguangzhou2014-10to10.py
#   python tools/train.py configs/convlstm/convlstm_4x64_radarguangzhou2016-10to10.py
_base_ = '../convlstm/convlstm_4x64_radarbeijing-10to10.py'

model = dict(
    neck=dict(
        cell=dict(
            type='TMUCell',
            kernel_size=3,
            gate_kernel_size=3,
            num_sources=2,
            peephole=True,
            distiller_norm='group',
            hidden_from='transferred')),
    transfer=dict(
        type='MemoryTransfer',
        sources=[
            dict(name='guangzhou2014',
                 config='configs/convlstm/'
                 'convlstm_4x64_radarguangzhou2014-10to10.py'),
            dict(name='guangzhou2016',
                 config='configs/convlstm/'
                 'convlstm_4x64_radarguangzhou2016-10to10.py'),
        ],
        beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
default_hooks = dict(
    visualization=dict(cmap='radar', lead_time_step=6, lead_time_unit='min'))
