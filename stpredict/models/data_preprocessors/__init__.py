from .sequence_data_preprocessor import SequenceDataPreprocessor

__all__ = ['SequenceDataPreprocessor']
