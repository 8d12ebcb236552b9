# The example plugin's ConvGRU in place of the ConvLSTM of stpredict's tiny
# CPU config: 2 layers x 32 channels, 3x3 kernels, 4x4 patches, 10 -> 10
# frames of two flying digits (built-in, no download), 200 iterations.
# Train it from the root of the stpredict repository:
#   python tools/train.py \
#       projects/example_plugin/configs/conv_gru_2x32_flying2digits-10to10_tiny.py
_base_ = [
    # _base_ paths are relative to this file, wherever the command runs
    '../../../configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py',
]

# import the plugin before anything is built: it registers ConvGRUCell
custom_imports = dict(
    imports=['stpredict_example_plugin'], allow_failed_imports=False)

model = dict(
    neck=dict(
        # _delete_ drops the inherited ConvLSTMCell settings instead of
        # merging them into the new cell's
        cell=dict(
            _delete_=True,
            type='ConvGRUCell',
            kernel_size=3,
            reset='after',
            activation='tanh')))
