# The target task of the CPU transfer demo (TMU Table 1 in small): three
# flying digits with little training data (512 sequences), the tiny
# 2 x 32 ConvLSTM budget, sources trained on one and on two digits.
_base_ = '../../convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'

train_dataloader = dict(dataset=dict(num_digits=3, num_sequences=512))
val_dataloader = dict(dataset=dict(num_digits=3))
test_dataloader = dict(dataset=dict(num_digits=3))
