from . import layers  # noqa: F401  (registers Conv2d / Identity)
from .cells import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .predictors import *  # noqa: F401,F403
from .transfer import *  # noqa: F401,F403
