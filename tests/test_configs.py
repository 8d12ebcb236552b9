"""Every config parses, matches its data windows and builds its model."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from stpredict.apis.config_check import check_config
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

register_all_modules(init_default_scope=False)
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
CONFIGS = sorted(
    path for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                               recursive=True)
    if '_base_' not in path)


def test_there_are_configs():
    assert len(CONFIGS) > 50


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds(path, monkeypatch):
    monkeypatch.chdir(ROOT)  # transfer configs name sources from the root
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'stpredict'
    # the same check tools/train.py runs, minus trained source checkpoints
    monkeypatch.setattr('stpredict.apis.config_check.check_transfer_sources',
                        lambda cfg: None)
    check_config(cfg)
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
