# Weizmann human actions (TMU's second human-motion source domain): all ten
# actions, gray frames resized to 128x128, 10 -> 10 frames, windows that
# share no frame. TMU does not state the Weizmann frame size or sequence
# length; 128x128 patched 4x4 gives the 32x32 memories that TMU matches
# with Human3.6M (Sec. 4), and 10 -> 10 is the KTH/flying-digits length.
#
# Splits by person (Weizmann defines none): daria, denis, eli, ido, ira,
# lena train; lyova val; moshe, shahar test.
# Expected files (see stpredict.datasets.Weizmann):
#   data/weizmann/<action>/<person>_<action>[N]/image_XXXX.png
# made from the Weizmann .avi files with
#   python tools/dataset_converters/weizmann.py <folder of the .avi files> \
#       data/weizmann
_base_ = '../evaluators/frame_metrics.py'

dataset_type = 'Weizmann'
data_root = 'data/weizmann'
weizmann_dataset = dict(
    type=dataset_type,
    data_root=data_root,
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
    dataset=dict(split='train', **weizmann_dataset),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='val', **weizmann_dataset),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', **weizmann_dataset),
)

# val_evaluator, test_evaluator: ../evaluators/frame_metrics.py
