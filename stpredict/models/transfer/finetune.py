"""Finetuning: start the target model from a source model's weights."""
import re
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import print_log

from stpredict.registry import TRANSFERS
from stpredict.utils.checkpoint import safe_torch_load
from .base_transfer import BaseTransfer
from .source_models import find_checkpoint


@TRANSFERS.register_module()
class Finetune(BaseTransfer):
    """Initialise the target from a source checkpoint, then train all weights.

    Weights are copied where the name and the shape match (e.g. every cell
    of a same-architecture source; a head with another channel count keeps
    its fresh initialisation). ``include`` / ``exclude`` pick a subset by
    regular expressions on the parameter names. Loading happens in
    :meth:`init_weights`, i.e. when the Runner initialises the model before
    training; a resumed run then loads its own checkpoint over it, and
    testing a finetuned model never needs the source file.

    Args:
        checkpoint (str, optional): The source checkpoint. None finds the
            best or last checkpoint of ``config`` in its default work dir.
            Defaults to None.
        config (str, optional): The source model's config (to find its
            checkpoint and to print the command that trains it). Defaults
            to None.
        include (Sequence[str], optional): Only load parameters whose name
            matches one of these regular expressions. Defaults to None (all).
        exclude (Sequence[str], optional): Skip parameters whose name matches
            one of these. Defaults to None.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 checkpoint: Optional[str] = None,
                 config: Optional[str] = None,
                 include: Optional[Sequence[str]] = None,
                 exclude: Optional[Sequence[str]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if checkpoint is None and config is None:
            raise ValueError(f'{type(self).__name__} needs the source '
                             'checkpoint or its config.')
        self.source_checkpoint = checkpoint
        self.source_config = config
        self.include = [re.compile(p) for p in include or []]
        self.exclude = [re.compile(p) for p in exclude or []]
        #: names of the student's parameters loaded from the source
        self.loaded_names: List[str] = []

    def check_available(self) -> str:
        """The source checkpoint path; fails with the training command."""
        return find_checkpoint(self.source_config, self.source_checkpoint)

    def selected(self, name: str) -> bool:
        """Whether the parameter ``name`` is taken from the source."""
        if self.include and not any(p.search(name) for p in self.include):
            return False
        return not any(p.search(name) for p in self.exclude)

    def source_state_dict(self) -> Dict[str, torch.Tensor]:
        """The source model's weights (safe loading)."""
        checkpoint = safe_torch_load(self.check_available(),
                                     map_location='cpu')
        state = checkpoint.get('state_dict', checkpoint)
        return {k[len('module.'):] if k.startswith('module.') else k: v
                for k, v in state.items()}

    def init_weights(self) -> None:
        """Copy the matching source weights into the student."""
        super().init_weights()
        student = self.student
        source = self.source_state_dict()
        own = dict(student.named_parameters())
        loaded, skipped = [], []
        with torch.no_grad():
            for name, param in own.items():
                if name.startswith('transfer.') or not self.selected(name):
                    continue
                value = source.get(name)
                if value is not None and value.shape == param.shape:
                    param.copy_(value.to(param.device, param.dtype))
                    loaded.append(name)
                elif value is not None:
                    skipped.append(f'{name} {tuple(value.shape)} -> '
                                   f'{tuple(param.shape)}')
        if not loaded:
            raise ValueError(
                f'{type(self).__name__}: no parameter of the source '
                f'checkpoint {self.check_available()} matches the target by '
                'name and shape. Use a source of the same architecture or '
                'adjust include/exclude.')
        self.loaded_names = loaded
        message = (f'{type(self).__name__}: loaded {len(loaded)} of '
                   f'{len(own)} parameter tensors from '
                   f'{self.check_available()}')
        if skipped:
            message += f'; shape mismatch, kept fresh: {skipped}'
        print_log(message, logger='current')
