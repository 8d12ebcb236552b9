"""default_hooks conveniences: None switches stpredict's defaults off, and a
custom PredictionVisualizationHook replaces the default one."""
from mmengine.config import Config

from stpredict.utils.hook_settings import (normalize_hooks,
                                           visualization_hook_cfg)

TINY = 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'


def test_every_config_draws_by_default():
    cfg = Config.fromfile(TINY)
    assert visualization_hook_cfg(cfg)['type'] == \
        'PredictionVisualizationHook'
    radar = Config.fromfile(
        'configs/convlstm/convlstm_4x64_radarguangzhou2014-10to10.py')
    assert visualization_hook_cfg(radar)['cmap'] == 'radar'


def test_none_switches_a_stpredict_default_hook_off():
    cfg = Config.fromfile(TINY)
    cfg.merge_from_dict({
        'default_hooks.visualization': None,
        'default_hooks.timer': None,
    })
    normalize_hooks(cfg)
    assert 'visualization' not in cfg.default_hooks
    # mmengine's own defaults keep their None: mmengine removes them
    assert 'timer' in cfg.default_hooks and cfg.default_hooks.timer is None
    assert visualization_hook_cfg(cfg) is None


def test_custom_visualization_hook_replaces_the_default():
    cfg = Config.fromfile(TINY)
    mine = dict(type='PredictionVisualizationHook', num_samples=1)
    cfg.custom_hooks = list(cfg.custom_hooks) + [mine]
    normalize_hooks(cfg)
    assert 'visualization' not in cfg.default_hooks
    assert visualization_hook_cfg(cfg)['num_samples'] == 1
    assert 'checkpoint' in cfg.default_hooks  # mmengine's stay
