# ConvLSTM (4 x 64, 5x5 kernels, Adam 1e-3, batch 8) on your own sequences:
# folders of frame images under data/my_sequences, 64x64 gray, 10 -> 10,
# patched 4x4 (16 x 16x16). See docs/custom_dataset.md.
_base_ = [
    '../_base_/models/convlstm_4x64.py',
    '../_base_/datasets/custom_frame_folders.py',
    '../_base_/schedules/adam_lr1e-3_80k.py',
    '../_base_/default_runtime.py',
]

model = dict(
    input_frames=10,
    output_frames=10,
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=4))
