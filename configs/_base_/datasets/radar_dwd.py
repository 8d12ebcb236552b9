# German DWD radar at the MS-RNN setting (MS-RNN Sec. 5.5, data of RainNet,
# Ayzel et al. 2020): 5-minute maps bilinearly resized to 124x124 and
# sampled every 30 minutes (interval=6), 5 -> 5 frames (2.5 hours ahead).
# MS-RNN trains on 2006-2014 and tests on 2015-2017.
#
# Splits are time periods, one folder each; MS-RNN has no validation
# split, so hold out a training year (e.g. 2014) as val/.
# Expected files (see stpredict.datasets.RadarEcho):
#   data/radar_dwd/{train,val,test}/<sequence>.npy  uint8 [T, H, W]
#   (or numbered .png frames per sequence folder, or one long series)
# made from dBZ maps with
#   python tools/dataset_converters/radar_echo.py <source> \
#       data/radar_dwd/train --image-size 124 --value-range -10 60 --unit dbz
#
# value_transform: frame value p = pixel / 255 -> dBZ = 70 p - 10 (what the
# converter writes with --value-range -10 60 --unit dbz; change it to your
# data's mapping). Rain rates follow DWD's Z-R relation Z = 256 R^1.42
# (30 dBZ ~ 3 mm/h, MS-RNN Sec. 5.5); MS-RNN scores CSI and HSS at 0.5, 2,
# 5 and 10 mm/h, and B-MSE / B-MAE.
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'RadarEcho'
data_root = 'data/radar_dwd'
value_transform = dict(type='linear', scale=70.0, offset=-10.0,
                       quantity='dbz')
zr_relation = dict(a=256.0, b=1.42)
radar_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    split_dirs=dict(train='train', val='val', test='test'),
    input_frames=5,
    output_frames=5,
    stride=None,  # 10 frames x 6 = 60 five-minute frames: no shared frame
    interval=6,
    image_size=124,
    value_transform=value_transform,
    pipeline=[dict(type='PackSequenceInputs')])

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **radar_dataset),
)
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **radar_dataset),
)
test_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **radar_dataset),
)

# val_evaluator: ../evaluators/frame_metrics.py
test_evaluator = _base_.test_evaluator + [
    # nowcasting metrics in physical units (MS-RNN Table 8); their
    # conversion must match the dataset's value_transform
    dict(type='CSI', thresholds=(0.5, 2.0, 5.0, 10.0), value='rain_rate',
         pixel_to_value=value_transform, zr_relation=zr_relation,
         baseline='copy_last'),
    dict(type='HSS', thresholds=(0.5, 2.0, 5.0, 10.0), value='rain_rate',
         pixel_to_value=value_transform, zr_relation=zr_relation,
         baseline='copy_last'),
]

# Naive forecasts that tools/test.py scores with test_evaluator beside the
# model (keys <key>_<baseline>): persistence, no echo, the mean training
# frame and optical-flow extrapolation, the field's reference (pysteps:
# pip install -e '.[nowcasting]'; --baselines copy_last zeros train_mean
# tests without it).
test_baselines = ['copy_last', 'zeros', 'train_mean', 'optical_flow']
