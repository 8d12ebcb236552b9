# ConvLSTM at the TMU radar setting (4 x 64, 3x3 kernels on radar echoes,
# Adam 1e-3, batch 8, 80k iterations) on the Beijing radar echoes, 256x256,
# 10 -> 10: the from-scratch ConvLSTM of TMU Table 4. TMU does not state
# the radar patch size; frames are patched 4x4 here (256x256 -> 16 x
# 64x64). The Guangzhou source models use the same config with their
# data_root. (Sources of another frame size, e.g. 64x64 Moving MNIST with
# patch 4, need a patch size giving the same state size: 16 here.)
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/radar_beijing.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4),
    neck=dict(cell=dict(type='ConvLSTMCell', kernel_size=3)))

default_hooks = dict(
    # forecast pictures in the radar palette (dBZ from the dataset's
    # value_transform) and metric curves against lead time (6-minute frames)
    visualization=dict(cmap='radar', lead_time_step=6, lead_time_unit='min'))
