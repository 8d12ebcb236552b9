"""stpredict: OpenMMLab-style spatiotemporal predictive learning."""
import mmengine
from mmengine.utils import digit_version

from .version import __version__, version_info

MMENGINE_MINIMUM_VERSION = '0.10.0'
MMENGINE_MAXIMUM_VERSION = '0.11.0'
MMCV_MINIMUM_VERSION = '2.0.0'
MMCV_MAXIMUM_VERSION = '2.3.0'


def _check_versions() -> None:
    """Fail early, with the fix, when mmengine or mmcv is the wrong version."""
    mmengine_version = digit_version(mmengine.__version__)
    if not (digit_version(MMENGINE_MINIMUM_VERSION) <= mmengine_version <
            digit_version(MMENGINE_MAXIMUM_VERSION)):
        raise ImportError(
            f'stpredict needs mmengine>={MMENGINE_MINIMUM_VERSION},'
            f'<{MMENGINE_MAXIMUM_VERSION}, but mmengine=='
            f'{mmengine.__version__}'
            f' is installed. Fix: pip install "mmengine>='
            f'{MMENGINE_MINIMUM_VERSION},<{MMENGINE_MAXIMUM_VERSION}"')
    try:
        import mmcv
    except ImportError as error:
        raise ImportError(
            'stpredict needs mmcv; install the light distribution, which has '
            'no compiled ops: pip install "mmcv-lite>=2.0.0,<2.3.0" (never '
            'install mmcv and mmcv-lite together).') from error
    mmcv_version = digit_version(mmcv.__version__)
    if not (digit_version(MMCV_MINIMUM_VERSION) <= mmcv_version <
            digit_version(MMCV_MAXIMUM_VERSION)):
        raise ImportError(
            f'stpredict needs mmcv>={MMCV_MINIMUM_VERSION},'
            f'<{MMCV_MAXIMUM_VERSION}, but mmcv=={mmcv.__version__} is '
            f'installed. Fix: pip install "mmcv-lite>={MMCV_MINIMUM_VERSION},'
            f'<{MMCV_MAXIMUM_VERSION}"')


_check_versions()

# Safe checkpoint loading and atomic writes must be in force before any
# Runner loads or saves a file.
from .utils.atomic_io import register_atomic_local_backend  # noqa: E402
from .utils.checkpoint import register_safe_checkpoint_loader  # noqa: E402

register_safe_checkpoint_loader()
register_atomic_local_backend()

__all__ = ['__version__', 'version_info']
