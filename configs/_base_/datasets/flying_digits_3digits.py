# Flying digits with 3 digits per sequence.
_base_ = './flying_digits.py'

train_dataloader = dict(dataset=dict(num_digits=3))
val_dataloader = dict(dataset=dict(num_digits=3))
test_dataloader = dict(dataset=dict(num_digits=3))
