default_scope = 'stpredict'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # validation scalars at their iteration, validation timings as val/time
    logger=dict(type='MetricLoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='SafeCheckpointHook',
        by_epoch=False,
        interval=5000,
        max_keep_ckpts=3,
        # every dataset base evaluates MSE per frame first; the best
        # checkpoint is the one of lowest validation MSE
        save_best='mse_per_frame',
        rule='less'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # the model runs on the dataset's frames (shapes, transfer memories)
    preflight=dict(type='PreflightCheckHook'),
    # pictures of fixed samples and per-frame metric curves at validation
    # and test (default_hooks.visualization=None switches them off)
    visualization=dict(type='PredictionVisualizationHook'),
    # stop on a NaN/inf loss before the poisoned weights are saved
    non_finite_loss=dict(type='NonFiniteLossHook'),
    # resumed runs draw the same random numbers as unbroken ones
    random_state=dict(type='RandomStateHook'),
    # the frames' size and channels in every checkpoint's meta, read back
    # by stpredict.apis.init_forecaster
    frame_meta=dict(type='FrameMetaHook'),
    # load_from, --resume and tools/test.py refuse weights that do not fit
    strict_load=dict(type='StrictLoadHook'),
    # a second training run into a work dir in use refuses to start
    work_dir_lock=dict(type='WorkDirLockHook'),
    # SIGTERM/SIGINT: finish the iteration, save, say how to resume
    stop_signal=dict(type='StopSignalHook'),
    # distributed runs: name the rank that went silent when a collective
    # times out (env_cfg.dist_cfg.timeout, seconds)
    dist_watchdog=dict(type='DistWatchdogHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)

log_processor = dict(by_epoch=False, window_size=50)
log_level = 'INFO'
load_from = None
resume = False

randomness = dict(seed=0, deterministic=False)
