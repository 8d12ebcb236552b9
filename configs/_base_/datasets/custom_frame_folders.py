# Your own sequences, no code needed (see docs/custom_dataset.md): one folder
# of frame images per sequence under data_root, gray frames resized to
# 64x64, 10 -> 10 frames, windows that share no frame; 10 % of the
# sequences for val and 10 % for test (whole sequences, drawn with a fixed
# seed). For one array file [N, T, (C,) H, W] use type='ArraySequences'
# with data_file=... instead.
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'FrameFolderSequences'
data_root = 'data/my_sequences'
custom_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    input_frames=10,
    output_frames=10,
    stride=None,  # input_frames + output_frames: windows share no frame
    interval=1,
    image_size=64,
    color='gray',
    split_mode='fraction',
    val_fraction=0.1,
    test_fraction=0.1,
    split_seed=0,
    pipeline=[dict(type='PackSequenceInputs')])

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **custom_dataset),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **custom_dataset),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **custom_dataset),
)

# val_evaluator, test_evaluator: ../evaluators/frame_metrics.py
