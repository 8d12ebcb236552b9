# The tiny ConvLSTM on one flying digit (a source model of the CPU transfer
# demo, configs/tmu/README.md).
_base_ = './convlstm_2x32_flying2digits-10to10_tiny.py'

train_dataloader = dict(dataset=dict(num_digits=1))
val_dataloader = dict(dataset=dict(num_digits=1))
test_dataloader = dict(dataset=dict(num_digits=1))
