from .export import export_target, strip_transfer

__all__ = ['export_target', 'strip_transfer']
