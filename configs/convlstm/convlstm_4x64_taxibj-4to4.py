# ConvLSTM (4 x 64, 5x5 kernels, Adam 1e-3, batch 16) on TaxiBJ, 32x32
# grids of 2 channels (inflow, outflow), 4 -> 4. The frames are small, so
# they are not patched (MS-RNN runs TaxiBJ unpatched too).
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/taxibj.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=4,
    output_frames=4,
    in_channels=2,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=1))
