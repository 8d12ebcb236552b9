# A source model of the CPU reproduction of TMU Table 1: the tiny ConvLSTM
# on one flying digit, 1000 iterations (see the two-digit one).
_base_ = './convlstm_2x32_flying2digits-10to10_cpu.py'

train_dataloader = dict(dataset=dict(num_digits=1))
val_dataloader = dict(dataset=dict(num_digits=1))
test_dataloader = dict(dataset=dict(num_digits=1))
