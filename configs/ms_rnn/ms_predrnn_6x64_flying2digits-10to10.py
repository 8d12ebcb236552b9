# MS-PredRNN: PredRNN cells in the MS-RNN multi-scale pyramid,
# at the MS-RNN setting (6 layers x 64, 3x3 kernels, no patching, Adam 3e-4,
# batch 4, 50k iterations) on two flying digits (built-in digits, no
# download).
_base_ = [
    '../_base_/models/predrnn_6x64_msrnn.py',
    '../_base_/datasets/flying_digits_2digits_msrnn.py',
    '../_base_/schedules/adam_lr3e-4_50k_msrnn.py',
    '../_base_/default_runtime.py',
]

# mirror pyramid H, H/2, H/4, H/4, H/2, H with UNet skips (MS-RNN 4.1.2)
model = dict(neck=dict(type='MultiScalePyramid', skip='unet'))
