"""Registries of stpredict.

Every root registry of mmengine has a child here with the scope ``stpredict``
so that configs with ``default_scope='stpredict'`` find both stpredict's own
components and everything mmengine provides (optimizers, hooks, loops, ...).

``CELLS``, ``NECKS`` and ``TRANSFERS`` are stpredict's own concepts. They are
standalone registries with the same scope, which keeps each kind of component
in its own namespace (a plugin can list the cells without seeing the models)
and still lets them be built with or without a default scope.

Every registry names the modules that register into it (``locations``), so a
component is found even if its module was never imported by hand.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'STRATEGIES',
    'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS',
    'WEIGHT_INITIALIZERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
    'INFERENCERS', 'FUNCTIONS', 'CELLS', 'NECKS', 'TRANSFERS'
]

SCOPE = 'stpredict'

#######################################################################
#                     children of mmengine's roots                    #
#######################################################################

RUNNERS = Registry(
    'runner', parent=MMENGINE_RUNNERS, locations=['stpredict.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMENGINE_RUNNER_CONSTRUCTORS,
    locations=['stpredict.engine'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, locations=['stpredict.engine'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, locations=['stpredict.engine.hooks'])
STRATEGIES = Registry(
    'strategy', parent=MMENGINE_STRATEGIES, locations=['stpredict.engine'])

DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, locations=['stpredict.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMENGINE_DATA_SAMPLERS,
    locations=['stpredict.datasets'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    locations=['stpredict.datasets.transforms'])

MODELS = Registry(
    'model', parent=MMENGINE_MODELS, locations=['stpredict.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    locations=['stpredict.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMENGINE_WEIGHT_INITIALIZERS,
    locations=['stpredict.models'])

OPTIMIZERS = Registry(
    'optimizer',
    parent=MMENGINE_OPTIMIZERS,
    locations=['stpredict.engine.optim_wrappers'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMENGINE_OPTIM_WRAPPERS,
    locations=['stpredict.engine.optim_wrappers'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['stpredict.engine.optim_wrappers'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMENGINE_PARAM_SCHEDULERS,
    locations=['stpredict.engine'])

METRICS = Registry(
    'metric',
    parent=MMENGINE_METRICS,
    locations=['stpredict.evaluation'])
EVALUATOR = Registry(
    'evaluator',
    parent=MMENGINE_EVALUATOR,
    locations=['stpredict.evaluation'])

TASK_UTILS = Registry(
    'task util', parent=MMENGINE_TASK_UTILS, locations=['stpredict.models'])

VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    locations=['stpredict.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMENGINE_VISBACKENDS,
    locations=['stpredict.visualization'])
LOG_PROCESSORS = Registry(
    'log_processor',
    parent=MMENGINE_LOG_PROCESSORS,
    locations=['stpredict.engine'])
INFERENCERS = Registry(
    'inferencer', parent=MMENGINE_INFERENCERS, locations=['stpredict.apis'])
FUNCTIONS = Registry(
    'function', parent=MMENGINE_FUNCTIONS, locations=['stpredict.models'])

#######################################################################
#                     stpredict's own concepts                        #
#######################################################################

#: Recurrent cells: one step of one layer at one scale.
CELLS = Registry('cell', scope=SCOPE, locations=['stpredict.models.cells'])
#: Necks: stacks of cells over layers (and scales) for one time step.
NECKS = Registry('neck', scope=SCOPE, locations=['stpredict.models.necks'])
#: Transfer methods: how source models enter the training of a target.
TRANSFERS = Registry(
    'transfer', scope=SCOPE, locations=['stpredict.models.transfer'])
