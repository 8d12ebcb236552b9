# Flying digits (TMU Sec. 4): 64x64, 10 -> 10 frames, 10k/2k/3k sequences of
# the train/val/test splits, generated on the fly (no download needed: the
# built-in digit source is used unless mnist_file points at MNIST's
# train-images-idx3-ubyte.gz).
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'FlyingDigits'

flying_digits = dict(
    type=dataset_type,
    num_digits=2,
    input_frames=10,
    output_frames=10,
    mnist_file=None,
    pipeline=[dict(type='PackSequenceInputs')])
loader = dict(batch_size=8, num_workers=2, persistent_workers=True)

train_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **flying_digits),
    **loader)
val_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **flying_digits),
    **loader)
test_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **flying_digits),
    **loader)

# val_evaluator, test_evaluator: ../evaluators/frame_metrics.py
