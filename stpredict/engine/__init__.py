from .hooks import *  # noqa: F401,F403
from .metric_logger_hook import MetricLoggerHook  # noqa: F401
from .optim_wrappers import *  # noqa: F401,F403
