# TMU Table 1 at CPU scale, row "L2-SP from 1digit" (Li et al., 2018:
# alpha 0.1, beta 0.01 for a per-pixel-mean loss, scaled to this config's
# per-frame-sum loss, see L2SP).
_base_ = '../_base_/transfer/flying3digits_target_cpu.py'

model = dict(
    transfer=dict(
        type='L2SP',
        config={{_base_.source_1digit.config}},
        checkpoint={{_base_.source_1digit.checkpoint}},
        alpha=0.1,
        beta=0.01))
