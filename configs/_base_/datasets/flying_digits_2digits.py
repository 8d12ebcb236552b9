# Flying digits with 2 digits per sequence.
_base_ = './flying_digits.py'

train_dataloader = dict(dataset=dict(num_digits=2))
val_dataloader = dict(dataset=dict(num_digits=2))
test_dataloader = dict(dataset=dict(num_digits=2))
