# TMU Table 4, row "memory transfer, Guangzhou 2014": the TMU target (one
# distiller and one transfer gate per layer) distils the memories of the
# ConvLSTM trained on Guangzhou 2014 (beta = 0.1).
_base_ = './tmu_convlstm_4x64_radarbeijing-10to10.py'

model = dict(
    neck=dict(cell=dict(num_sources=1)),
    transfer=dict(sources=[{{_base_.guangzhou2014}}]))
