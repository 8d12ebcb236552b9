# ConvLSTM on the Guangzhou 2016 radar echoes (a source domain of TMU Table 4;
# the target is Beijing): 256x256 frames every 6 minutes, 10 -> 10, patch 4,
# 3x3 kernels. Expected files: data/radar_guangzhou2016/{train,val,test}/.
_base_ = './convlstm_4x64_radarbeijing-10to10.py'

data_root = 'data/radar_guangzhou2016'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
