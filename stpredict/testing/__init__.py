from .runner_smoke import shrink_config, train_briefly

__all__ = ['shrink_config', 'train_briefly']
