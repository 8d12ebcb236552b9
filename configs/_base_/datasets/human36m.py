# Human3.6M at the TMU setting (TMU Sec. 4, following MIM): RGB frames
# resized to 128x128, 4 -> 4 frames, windows that share no frame. TMU's
# target domain of the human-motion benchmark (sources: KTH and Weizmann);
# the model configs patch the frames 4x4, giving the 64x32x32 memories of
# TMU Sec. 4.
#
# Splits by subject: S1, S5, S6, S7 train; S8 val (carved from the training
# subjects: Human3.6M has no validation split); S9, S11 test. TMU reports
# 2,220 / 300 / 1,056 train / val / test sequences without saying how they
# were drawn; the window counts here follow from the stride and interval.
# Expected files (see stpredict.datasets.Human36M):
#   data/human36m/S<k>_<Action>.<camera>_NNNNNN.jpg
# extracted from the Human3.6M videos with
#   python tools/dataset_converters/human36m.py <Human3.6M root> \
#       data/human36m --image-size 128
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'Human36M'
data_root = 'data/human36m'
human36m_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    input_frames=4,
    output_frames=4,
    stride=None,  # input_frames + output_frames: windows share no frame
    interval=1,
    image_size=128,
    pipeline=[dict(type='PackSequenceInputs')])

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **human36m_dataset),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **human36m_dataset),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **human36m_dataset),
)

# TMU Table 3 reports MSE per frame (sum over the 128x128x3 values) and SSIM
# val_evaluator, test_evaluator: ../evaluators/frame_metrics.py
