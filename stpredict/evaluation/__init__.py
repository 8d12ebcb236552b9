"""Evaluation of stpredict: frame metric functions and metric classes,
naive baseline forecasts and the evaluator that scores them."""
from .baselines import *  # noqa: F401,F403
from .evaluators import *  # noqa: F401,F403
from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .result_table import *  # noqa: F401,F403
