# TMU Table 3, row "memory transfer, KTH & Weizmann" (MIM column): TMU's
# memory distillers and transfer gates on every MIM layer
# (configs/_base_/models/tmu_mim_4x64.py) on Human3.6M (128x128 RGB,
# 4 -> 4, patch 4) distil the memories C (64 x 32x32) of the MIMs trained
# on KTH and on Weizmann, which see the target frames converted to gray
# (beta = 0.1). Train the sources first:
#   python tools/train.py configs/mim/mim_4x64_kth-10to10.py
#   python tools/train.py configs/mim/mim_4x64_weizmann-10to10.py
_base_ = [
    '../_base_/models/tmu_mim_4x64.py',
    '../_base_/datasets/human36m.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=4,
    output_frames=4,
    in_channels=3,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    transfer=dict(
        type='MemoryTransfer',
        sources=[
            dict(name='kth', config='configs/mim/mim_4x64_kth-10to10.py',
                 adapter=dict(channels=1)),
            dict(name='weizmann',
                 config='configs/mim/mim_4x64_weizmann-10to10.py',
                 adapter=dict(channels=1)),
        ],
        memory_state='c',
        beta=0.1))

custom_hooks = [
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=50000),
    dict(type='TransferGateHook', interval=5000),
]
