# Frame metrics of every dataset base: MSE and MAE per frame (the sum over a
# frame's C*H*W values, the PredRNN/TMU tables' convention) beside their
# per-pixel means, SSIM and PSNR on frames in [0, 1] (docs/metrics.md).
# Validation ranks checkpoints by the first one (save_best='mse_per_frame'
# in default_runtime.py); the test also scores the copy-last-frame baseline.
# A dataset base inherits this file: _base_ = '../evaluators/frame_metrics.py'
# (mmengine forbids the same key in two sibling bases, so a leaf config
# cannot list it beside a dataset base).
val_evaluator = [
    dict(type='MSE', reduction=('frame_sum', 'pixel_mean')),
    dict(type='MAE', reduction=('frame_sum', 'pixel_mean')),
    dict(type='SSIM'),
    dict(type='PSNR'),
]
test_evaluator = [
    dict(type='MSE', reduction=('frame_sum', 'pixel_mean'),
         baseline='copy_last'),
    dict(type='MAE', reduction=('frame_sum', 'pixel_mean'),
         baseline='copy_last'),
    dict(type='SSIM', baseline='copy_last'),
    dict(type='PSNR', baseline='copy_last'),
]
