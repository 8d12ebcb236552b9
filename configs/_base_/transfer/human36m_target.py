# TMU Table 3: target Human3.6M (128x128 RGB, 4 -> 4), sources ConvLSTMs
# trained on KTH and on Weizmann (128x128 gray, 10 -> 10). All three patch
# their frames 4x4, so every memory is 64 x 32 x 32; the sources see the
# target frames converted to gray.
_base_ = '../../convlstm/convlstm_4x64_human36m-4to4.py'

kth = 'configs/convlstm/convlstm_4x64_kth-10to10.py'
weizmann = 'configs/convlstm/convlstm_4x64_weizmann-10to10.py'
sources = [
    dict(name='kth', config=kth, adapter=dict(channels=1)),
    dict(name='weizmann', config=weizmann, adapter=dict(channels=1)),
]
