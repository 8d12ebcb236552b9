from .recurrent_predictor import RecurrentPredictor, SamplingMasks

__all__ = ['RecurrentPredictor', 'SamplingMasks']
