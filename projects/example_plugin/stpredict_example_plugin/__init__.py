"""An example third-party package for stpredict: a convolutional GRU cell.

Importing this package registers :class:`ConvGRUCell` in stpredict's
``CELLS`` registry, so that a config can use ``cell=dict(type='ConvGRUCell')``
after ``custom_imports = dict(imports=['stpredict_example_plugin'])``.
"""
try:
    import stpredict  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the install
    raise ImportError(
        'stpredict_example_plugin needs stpredict. Install it first, from '
        'the root of the stpredict repository: pip install -e . (then this '
        'plugin: pip install --no-build-isolation -e '
        'projects/example_plugin).') from error

from .conv_gru import ConvGRUCell  # noqa: E402

__version__ = '0.1.0'
__all__ = ['ConvGRUCell']
