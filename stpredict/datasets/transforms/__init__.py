from .formatting import PackSequenceInputs

__all__ = ['PackSequenceInputs']
