# TMU Tables 4 and 5, row "memory transfer, Guangzhou & MNIST & KTH": the
# final radar model, four sources (beta = 0.1): the relevant Guangzhou 2014
# and 2016 radar ConvLSTMs and the content-unrelated 2-digit MNIST and KTH
# ConvLSTMs (their memories are 64 x 64x64 like the target's, see
# configs/_base_/transfer/radarbeijing_target.py). Table 5 is the average
# transfer gate of each source: logged by TransferGateHook during training
# and measured on the test split from the trained checkpoint with
#   python tools/analysis_tools/transfer_gates.py CONFIG CHECKPOINT
_base_ = './tmu_convlstm_4x64_radarbeijing-10to10.py'

model = dict(
    neck=dict(cell=dict(num_sources=4)),
    transfer=dict(sources=[
        {{_base_.guangzhou2014}},
        {{_base_.guangzhou2016}},
        {{_base_.mnist_2digits}},
        {{_base_.kth}},
    ]))
