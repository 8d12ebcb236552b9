# Flying digits with 1 digit per sequence.
_base_ = './flying_digits.py'

train_dataloader = dict(dataset=dict(num_digits=1))
val_dataloader = dict(dataset=dict(num_digits=1))
test_dataloader = dict(dataset=dict(num_digits=1))
