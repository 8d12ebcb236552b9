"""Register every stpredict module and set the default scope."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every stpredict module so that all components are registered.

    Args:
        init_default_scope (bool): Whether to make ``stpredict`` the default
            scope (``DefaultScope``) if none or another one is in force.
            Defaults to True.
    """
    import stpredict.datasets  # noqa: F401,F403
    import stpredict.engine  # noqa: F401,F403
    import stpredict.evaluation  # noqa: F401,F403
    import stpredict.models  # noqa: F401,F403
    import stpredict.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is not None and current.scope_name == 'stpredict':
        return
    if current is not None:
        warnings.warn('The current default scope '
                      f'"{current.scope_name}" is not "stpredict"; '
                      '`register_all_modules` forces it to "stpredict".')
    # a new, uniquely named instance becomes the current one
    DefaultScope.get_instance(
        f'stpredict-{datetime.datetime.now()}', scope_name='stpredict')
