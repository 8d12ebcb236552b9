# KTH human actions at the PredRNN/TMU setting: all six actions, gray frames
# resized to 128x128, 10 -> 10 frames, windows that share no frame (stride
# 20). TMU uses KTH as a source domain of its human-motion benchmark; it
# states only that source and target memories are 64x32x32, so the model
# configs patch these 128x128 frames 4x4 (32x32 states), like Human3.6M.
#
# Splits by person: 1-14 train, 15-16 val (carved from KTH's training
# persons 1-16: KTH has no validation split), 17-25 test.
# Expected files (see stpredict.datasets.KTH):
#   data/kth/<action>/personXX_<action>_dN_uncomp/image_XXXX.png
# made from the KTH .avi files with
#   python tools/dataset_converters/kth.py <folder of the .avi files> data/kth
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'KTH'
data_root = 'data/kth'
kth_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    actions=('boxing', 'handclapping', 'handwaving', 'jogging', 'running',
             'walking'),
    input_frames=10,
    output_frames=10,
    stride=None,  # input_frames + output_frames: windows share no frame
    interval=1,
    image_size=128,
    pipeline=[dict(type='PackSequenceInputs')])

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **kth_dataset),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **kth_dataset),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **kth_dataset),
)

# val_evaluator, test_evaluator: ../evaluators/frame_metrics.py
