# TaxiBJ crowd flows (MS-RNN Sec. 5.3, following MIM): 32x32 grids of
# inflow and outflow (2 channels) every 30 minutes, 4 -> 4 frames (the next
# two hours); 19,560 training and 1,344 test samples. Frames are float32
# (x + 1) / 2 in [0, 1].
#
# Splits: test = X_test/Y_test. TaxiBJ has no validation split: the last
# 1,344 training samples (the most recent four weeks) are val and the 7
# samples before them are dropped so that no val frame is a training frame;
# train = the 18,209 samples before.
# Expected file (see stpredict.datasets.TaxiBJ):
#   data/taxibj/dataset.npz with X_train, Y_train, X_test, Y_test, each
#   (N, 4, 2, 32, 32) in [-1, 1] (the MIM/OpenSTL preparation of TaxiBJ)
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'TaxiBJ'
data_root = 'data/taxibj'
taxibj_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    file_name='dataset.npz',
    input_frames=4,
    output_frames=4,
    val_samples=1344,
    pipeline=[dict(type='PackSequenceInputs')])

train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', **taxibj_dataset),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **taxibj_dataset),
)
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **taxibj_dataset),
)

# MS-RNN Table 6 reports MSE per frame (sum over the 2x32x32 values of a
# frame in [0, 1]), MAE and SSIM
# val_evaluator, test_evaluator: ../evaluators/frame_metrics.py
