# TMU Table 1, knowledge flow (Liu et al., 2019) from the one- and two-digit
# ConvLSTMs; the teachers' share reaches 0 at half the run.
_base_ = '../_base_/transfer/flying3digits_target.py'

model = dict(
    transfer=dict(
        type='KnowledgeFlow',
        sources=[
            dict(name='1digit',
                 config='configs/convlstm/'
                 'convlstm_4x64_flying1digit-10to10.py'),
            dict(name='2digits',
                 config='configs/convlstm/'
                 'convlstm_4x64_flying2digits-10to10.py'),
        ],
        curriculum_end=0.5))
