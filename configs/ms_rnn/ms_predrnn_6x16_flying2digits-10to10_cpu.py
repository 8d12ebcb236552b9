# MS-PredRNN: the same model and recipe as
# predrnn_6x16_flying2digits-10to10_cpu.py (equal parameters and
# iterations) in the MS-RNN pyramid H, H/2, H/4, H/4, H/2, H with UNet skips.
_base_ = './predrnn_6x16_flying2digits-10to10_cpu.py'

model = dict(neck=dict(type='MultiScalePyramid', skip='unet'))
