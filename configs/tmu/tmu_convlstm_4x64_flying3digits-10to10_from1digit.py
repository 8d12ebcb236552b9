# TMU Table 1, row "memory transfer, 1 digit": the TMU target (4 x 64) with
# one distiller and one transfer gate per layer, distilling the memories of
# the ConvLSTM trained on one flying digit (beta = 0.1).
_base_ = './tmu_convlstm_4x64_flying3digits-10to10.py'

model = dict(
    neck=dict(cell=dict(num_sources=1)),
    transfer=dict(sources=[
        dict(name='1digit',
             config='configs/convlstm/convlstm_4x64_flying1digit-10to10.py'),
    ]))
