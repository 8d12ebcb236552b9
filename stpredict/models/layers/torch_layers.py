"""Plain torch layers made available to configs by name."""
import torch.nn as nn

from stpredict.registry import MODELS

# Stems and heads of the predictors are built from config dicts such as
# ``dict(type='Conv2d', kernel_size=1)``.
MODELS.register_module('Conv2d', module=nn.Conv2d)
MODELS.register_module('Identity', module=nn.Identity)
