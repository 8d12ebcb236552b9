"""Evaluators of stpredict (registry ``EVALUATOR``)."""
from .baseline_evaluator import BaselineEvaluator, baseline_key

__all__ = ['BaselineEvaluator', 'baseline_key']
