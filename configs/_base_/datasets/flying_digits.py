# Flying digits (TMU Sec. 4): 64x64, 10 -> 10 frames, 10k/2k/3k sequences of
# the train/val/test splits, generated on the fly (no download needed: the
# built-in digit source is used unless mnist_file points at MNIST's
# train-images-idx3-ubyte.gz).
dataset_type = 'FlyingDigits'

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        num_digits=2,
        split='train',
        input_frames=10,
        output_frames=10,
        mnist_file=None,
        pipeline=[dict(type='PackSequenceInputs')]),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        num_digits=2,
        split='val',
        input_frames=10,
        output_frames=10,
        mnist_file=None,
        pipeline=[dict(type='PackSequenceInputs')]),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        num_digits=2,
        split='test',
        input_frames=10,
        output_frames=10,
        mnist_file=None,
        pipeline=[dict(type='PackSequenceInputs')]),
)

val_evaluator = [
    dict(type='MSE', reduction=('frame_sum', 'pixel_mean')),
    dict(type='MAE', reduction=('frame_sum', 'pixel_mean')),
    dict(type='SSIM'),
    dict(type='PSNR'),
]
test_evaluator = [
    dict(type='MSE', reduction=('frame_sum', 'pixel_mean'),
         baseline='copy_last'),
    dict(type='MAE', reduction=('frame_sum', 'pixel_mean'),
         baseline='copy_last'),
    dict(type='SSIM', baseline='copy_last'),
    dict(type='PSNR', baseline='copy_last'),
]
