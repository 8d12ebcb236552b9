"""Export a trained target model that needs no source model."""
import copy
import os
import os.path as osp
from typing import Tuple

import torch
from mmengine.config import Config

from stpredict.registry import MODELS
from stpredict.utils.checkpoint import safe_torch_load


def strip_transfer(cfg: Config) -> Config:
    """A copy of ``cfg`` whose model has no transfer method."""
    cfg = copy.deepcopy(cfg)
    cfg.model.pop('transfer', None)
    return cfg


def export_target(config: str, checkpoint: str, out_dir: str,
                  name: str = None) -> Tuple[str, str]:
    """Write a checkpoint and config of the target model alone.

    The transfer method's own modules (e.g. knowledge-flow transforms) and
    everything but the weights are dropped; the exported config has no
    ``transfer`` entry, so loading it needs no source config or checkpoint.
    The exported weights load strictly into that model.

    Args:
        config (str): The training config of the target.
        checkpoint (str): A checkpoint written by training it.
        out_dir (str): Folder for ``<name>.pth`` and ``<name>.py``.
        name (str, optional): File stem; defaults to the config's name with
            ``_exported``.

    Returns:
        tuple[str, str]: Paths of the exported checkpoint and config.
    """
    cfg = Config.fromfile(config)
    transfer_cfg = cfg.model.get('transfer')
    exported_cfg = strip_transfer(cfg)
    model = MODELS.build(exported_cfg.model)
    state = safe_torch_load(checkpoint, map_location='cpu')
    state_dict = state.get('state_dict', state)
    dropped_prefixes = ['transfer.'] if transfer_cfg else []
    kept = {
        key: value
        for key, value in state_dict.items()
        if not any(key.startswith(p) for p in dropped_prefixes)
    }
    missing, unexpected = model.load_state_dict(kept, strict=False)
    if missing or unexpected:
        raise ValueError(
            f'The checkpoint {checkpoint} does not fit the model of '
            f'{config}: missing {missing}, unexpected {unexpected}.')
    name = name or osp.splitext(osp.basename(config))[0] + '_exported'
    os.makedirs(out_dir, exist_ok=True)
    ckpt_path = osp.join(out_dir, f'{name}.pth')
    cfg_path = osp.join(out_dir, f'{name}.py')
    meta = dict(
        exported_from=dict(config=config, checkpoint=checkpoint),
        dropped_transfer=transfer_cfg.get('type') if transfer_cfg else None)
    torch.save(dict(state_dict=model.state_dict(), meta=meta), ckpt_path)
    exported_cfg.dump(cfg_path)
    return ckpt_path, cfg_path
