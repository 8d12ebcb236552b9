# Radar echoes at the TMU setting (TMU Sec. 4, precipitation nowcasting):
# frames every 6 minutes resized to 256x256, 10 -> 10 (the next hour).
# Beijing is TMU's target domain (55,466 / 3,000 / 12,711 train / val / test
# observations); Guangzhou 2014 and 2016 are its sources: the same config
# with data_root='data/radar_guangzhou2014' etc.
#
# Splits are time periods, one folder each (the archives come split).
# Expected files (see stpredict.datasets.RadarEcho):
#   data/radar_beijing/{train,val,test}/<sequence>.npy  uint8 [T, H, W]
#   (or one folder of numbered .png frames per sequence, or the frames of
#   one long series directly in the split folder)
# made from images or float dBZ maps with
#   python tools/dataset_converters/radar_echo.py <source> \
#       data/radar_beijing/train --image-size 256 --value-range -10 60
#
# value_transform: the physical meaning of a frame value p = pixel / 255
# (the pixel_to_value spec of stpredict's nowcasting metrics). TMU does not
# publish its mapping; the HKO-7-style one below (dBZ = 70 p - 10) is what
# the converter writes with --value-range -10 60 --unit dbz. Change it to
# your data's mapping. TMU scores CSI at 20 dBZ.
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'RadarEcho'
data_root = 'data/radar_beijing'
value_transform = dict(type='linear', scale=70.0, offset=-10.0,
                       quantity='dbz')
radar_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    split_dirs=dict(train='train', val='val', test='test'),
    input_frames=10,
    output_frames=10,
    stride=None,  # input_frames + output_frames: windows share no frame
    interval=1,
    image_size=256,
    value_transform=value_transform,
    pipeline=[dict(type='PackSequenceInputs')])

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **radar_dataset),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **radar_dataset),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **radar_dataset),
)

# TMU Table 4: MSE and MAE per frame (sums over the 256x256 pixels) and CSI
# at 20 dBZ.
# val_evaluator: ../evaluators/frame_metrics.py
test_evaluator = _base_.test_evaluator + [
    # nowcasting metric in physical units; its conversion must match the
    # dataset's value_transform
    dict(type='CSI', thresholds=(20.0, ), value='dbz',
         pixel_to_value=value_transform, baseline='copy_last'),
]

# Naive forecasts that tools/test.py scores with test_evaluator beside the
# model (keys <key>_<baseline>): persistence, no echo, the mean training
# frame and optical-flow extrapolation, the field's reference (pysteps:
# pip install -e '.[nowcasting]'; --baselines copy_last zeros train_mean
# tests without it).
test_baselines = ['copy_last', 'zeros', 'train_mean', 'optical_flow']
