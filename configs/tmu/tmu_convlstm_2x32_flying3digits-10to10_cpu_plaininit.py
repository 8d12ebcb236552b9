# Memory transfer from 1 + 2 digits with the plain initialisation of the
# paper's Eq. 5 (transfer-gate bias 0, distiller scale 1) instead of
# stpredict's default (3.0, 0.1): the ablation behind that default.
_base_ = './tmu_convlstm_2x32_flying3digits-10to10_cpu.py'

model = dict(
    neck=dict(cell=dict(transfer_gate_bias=0.0, distiller_scale=1.0)))
