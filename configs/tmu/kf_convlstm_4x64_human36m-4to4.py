# TMU Table 3 comparison on Human3.6M (128x128 RGB, 4 -> 4): knowledge flow
# from the KTH and Weizmann ConvLSTMs.
_base_ = '../_base_/transfer/human36m_target.py'

model = dict(
    transfer=dict(type='KnowledgeFlow', sources={{_base_.sources}},
                  curriculum_end=0.5))
