from .cpu_threads import choose_cpu_threads, setup_cpu_threads  # noqa: F401
from .hooks import *  # noqa: F401,F403
from .metric_logger_hook import MetricLoggerHook  # noqa: F401
from .optim_wrappers import *  # noqa: F401,F403
# CPU runs log "Processes: N (CPU, no GPU)" instead of "GPU number: N"
from .runner_env_log import patch_runner_env_log  # noqa: F401
