# KTH at the MS-RNN setting (MS-RNN Sec. 5.4): walking, jogging and running
# only, frames resized to 88x88, windows of 20 frames (10 -> 10) starting
# every 10 frames for walking and jogging and every 3 frames for running.
# MS-RNN also crops the frames to keep the person in view, without saying
# how; no crop is done here.
#
# Splits by person: MS-RNN trains on persons 1-16 and tests on 17-25; here
# persons 15-16 are held out of training for validation (KTH has no
# validation split). For the paper's exact training set use
#   split_persons=dict(train=list(range(1, 17)), val=[],
#                      test=list(range(17, 26)))
# and train with --no-validate.
_base_ = './kth.py'

kth_msrnn = dict(
    actions=('walking', 'jogging', 'running'),
    # _delete_: replaces the base's stride=None
    stride=dict(_delete_=True, walking=10, jogging=10, running=3),
    image_size=88)

train_dataloader = dict(batch_size=4, dataset=kth_msrnn)
val_dataloader = dict(batch_size=4, dataset=kth_msrnn)
test_dataloader = dict(batch_size=4, dataset=kth_msrnn)
