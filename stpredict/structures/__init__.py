from .sequence_data_sample import SequenceDataSample

__all__ = ['SequenceDataSample']
