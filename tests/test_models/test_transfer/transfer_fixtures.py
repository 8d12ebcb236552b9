"""Tiny source models written to disk for the transfer tests."""
import textwrap

import torch
from mmengine.logging import MessageHub

from stpredict.registry import MODELS

TINY_MODEL = '''
model = dict(
    type='RecurrentPredictor', input_frames={frames}, output_frames={frames},
    in_channels=1,
    data_preprocessor=dict(type='SequenceDataPreprocessor',
                           patch_size={patch}),
    neck=dict(type='SingleScaleStack',
              cell=dict(type='{cell}', kernel_size=3{cell_args}),
              num_layers=2, hidden_channels={hidden}))
'''


def write_source(tmp_path, name='source', seed=1, cell='ConvLSTMCell',
                 cell_args='', patch=2, hidden=4, frames=2):
    """A tiny source config and a checkpoint of random weights."""
    config = tmp_path / f'{name}.py'
    config.write_text(
        textwrap.dedent(
            TINY_MODEL.format(cell=cell, cell_args=cell_args, patch=patch,
                              hidden=hidden, frames=frames)))
    from mmengine.config import Config
    torch.manual_seed(seed)
    model = MODELS.build(Config.fromfile(str(config)).model)
    checkpoint = tmp_path / f'{name}.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    return str(config), str(checkpoint), model


def student_cfg(transfer=None, cell='ConvLSTMCell', cell_args=None, **kw):
    cfg = dict(
        type='RecurrentPredictor', input_frames=2, output_frames=2,
        in_channels=1,
        data_preprocessor=dict(type='SequenceDataPreprocessor', patch_size=2),
        neck=dict(type='SingleScaleStack',
                  cell=dict(type=cell, kernel_size=3, **(cell_args or {})),
                  num_layers=2, hidden_channels=4),
        transfer=transfer)
    cfg.update(kw)
    return cfg


def set_progress(iteration, max_iters):
    """What mmengine's RuntimeInfoHook records before an iteration."""
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', iteration)
    hub.update_info('max_iters', max_iters)
