# ConvLSTM (4 x 64, 5x5 kernels, Adam 1e-3, batch 4) on the German DWD
# radar at the MS-RNN data setting: 124x124, one frame per 30 minutes,
# 5 -> 5. Frames are patched 4x4 (124x124 -> 16 x 31x31). (MS-RNN's own
# 6-layer models run unpatched with 3x3 kernels and Adam 3e-4.)
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/radar_dwd.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=5,
    output_frames=5,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))

default_hooks = dict(
    # forecast pictures in the radar palette (dBZ from the dataset's
    # value_transform) and metric curves against lead time (one frame every
    # 30 minutes)
    visualization=dict(cmap='radar', lead_time_step=30,
                       lead_time_unit='min'))
