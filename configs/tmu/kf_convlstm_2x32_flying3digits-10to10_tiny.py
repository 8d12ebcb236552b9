# CPU transfer demo: knowledge flow from the one- and two-digit sources
# (Liu et al., 2019); the teachers' share reaches 0 at half the run.
_base_ = '../_base_/transfer/flying3digits_target_tiny.py'

model = dict(
    transfer=dict(
        type='KnowledgeFlow',
        sources=[
            dict(name='1digit',
                 config='configs/convlstm/'
                 'convlstm_2x32_flying1digit-10to10_tiny.py'),
            dict(name='2digits',
                 config='configs/convlstm/'
                 'convlstm_2x32_flying2digits-10to10_tiny.py'),
        ],
        curriculum_end=0.5))
