"""Finetuning: start the target model from a source model's weights."""
import re
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log

from stpredict.registry import TRANSFERS
from stpredict.utils.atomic_io import sha256_of_file
from stpredict.utils.checkpoint import safe_torch_load
from .base_transfer import BaseTransfer
from .source_models import find_checkpoint

#: a wrapped inner cell's parameters (MemoryTransferWrapper) carry '.cell.'
_WRAPPED = re.compile(r'^(neck\.cells\.\d+)\.cell\.')


def _compact(names: Sequence[str], limit: int = 12) -> str:
    """``a, b, c, ... (+N more)`` for the log."""
    names = list(names)
    shown = ', '.join(names[:limit])
    if len(names) > limit:
        shown += f', ... (+{len(names) - limit} more)'
    return shown or '-'


@TRANSFERS.register_module()
class Finetune(BaseTransfer):
    """Initialise the target from a source checkpoint, then train all weights.

    Every student parameter takes the source tensor of the same name and
    shape. Two mappings make a source of a related architecture useful:

    - **Wrapped cells**: a ``MemoryTransferWrapper`` keeps its inner cell
      under ``.cell.``; ``neck.cells.0.cell.gate_conv.weight`` takes the
      source's ``neck.cells.0.gate_conv.weight``.
    - **Fused gates**: a cell whose fused gate convolution holds more gates
      than the source's (a ``TMUCell``: ``i, f, g, o`` then the transfer
      gates) declares, through ``source_rows(name)``, how many leading output
      rows have the source layout; a ConvLSTM source's gate weights fill
      those rows and the extra gates keep their fresh initialisation.

    ``include`` / ``exclude`` pick a subset by regular expressions on the
    student's parameter names. Loading happens in :meth:`init_student`,
    i.e. when the Runner initialises the model before training; a resumed
    run then loads its own checkpoint over it, and testing a finetuned model
    never needs the source file. The log lists what was loaded (fully or
    partially) and what was not, by name and count. A load that fills no
    weight of the neck (only the head or biases, say) is an error unless
    ``allow_partial=True``: such a run would be training from scratch by
    another name.

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
        allow_partial (bool): Accept a load that fills no neck weight.
            Defaults to False.
        neck (nn.Module, optional): The student's neck (unused; passed by
            the predictor).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 checkpoint: Optional[str] = None,
                 config: Optional[str] = None,
                 include: Optional[Sequence[str]] = None,
                 exclude: Optional[Sequence[str]] = None,
                 allow_partial: bool = False,
                 neck: Optional[torch.nn.Module] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(neck=neck, init_cfg=init_cfg)
        if checkpoint is None and config is None:
            raise ValueError(f'{type(self).__name__} needs the source '
                             'checkpoint or its config.')
        self.source_checkpoint = checkpoint
        self.source_config = config
        self.include = [re.compile(p) for p in include or []]
        self.exclude = [re.compile(p) for p in exclude or []]
        self.allow_partial = allow_partial
        #: names of the student's parameters loaded (fully) from the source
        self.loaded_names: List[str] = []
        #: names of the student's parameters whose leading rows were loaded
        self.partial_names: List[str] = []

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

    @staticmethod
    def _source_rows(student: torch.nn.Module, name: str) -> Optional[int]:
        """Leading rows of ``name`` that have the source's layout, if any."""
        owner, _, local = name.rpartition('.')
        while owner:
            module = student.get_submodule(owner)
            rows = getattr(module, 'source_rows', None)
            if callable(rows):
                return rows(local)
            owner, _, head = owner.rpartition('.')
            local = f'{head}.{local}'
        return None

    def _match(self, student: torch.nn.Module, name: str,
               param: torch.Tensor, source: Dict[str, torch.Tensor]
               ) -> Tuple[str, Optional[str], Optional[torch.Tensor]]:
        """How ``name`` is filled: ``('full' | 'rows' | 'shape' | 'none',
        source name, value)``."""
        candidates = [name]
        wrapped = _WRAPPED.sub(r'\1.', name)
        if wrapped != name:
            candidates.append(wrapped)
        for key in candidates:
            value = source.get(key)
            if value is None:
                continue
            if value.shape == param.shape:
                return 'full', key, value
            rows = self._source_rows(student, name)
            if (rows is not None and value.dim() == param.dim()
                    and value.shape[0] == rows and rows < param.shape[0]
                    and value.shape[1:] == param.shape[1:]):
                return 'rows', key, value
            return 'shape', key, value
        return 'none', None, None

    def init_student(self, student: torch.nn.Module) -> None:
        """Copy the matching source weights into the student."""
        path = self.check_available()
        source = self.source_state_dict()
        own = dict(student.named_parameters())
        loaded, partial, mismatched, absent = [], [], [], []
        used = set()
        with torch.no_grad():
            for name, param in own.items():
                if name.startswith('transfer.') or not self.selected(name):
                    continue
                how, key, value = self._match(student, name, param, source)
                if how == 'full':
                    param.copy_(value.to(param.device, param.dtype))
                    loaded.append(name)
                elif how == 'rows':
                    param[:value.shape[0]].copy_(
                        value.to(param.device, param.dtype))
                    partial.append(f'{name} (rows 0-{value.shape[0] - 1} '
                                   f'of {param.shape[0]})')
                elif how == 'shape':
                    mismatched.append(f'{name} {tuple(value.shape)} -> '
                                      f'{tuple(param.shape)}')
                else:
                    absent.append(name)
                if key is not None and how in ('full', 'rows'):
                    used.add(key)
        self.loaded_names = loaded
        self.partial_names = [entry.split(' ')[0] for entry in partial]
        filled = loaded + self.partial_names
        if not filled:
            raise ValueError(
                f'{type(self).__name__}: no parameter of the source '
                f'checkpoint {path} matches the target by name and shape. '
                'Use a source of the same architecture or adjust '
                'include/exclude.')
        if not any(n.startswith('neck.') and own[n].dim() > 1
                   for n in filled) and not self.allow_partial:
            raise ValueError(
                f'{type(self).__name__}: of the source checkpoint {path} '
                f'only {_compact(filled)} fit the target: no weight of the '
                'recurrent neck was loaded, so this would train from '
                f'scratch. Not loaded: shape mismatch {_compact(mismatched)}'
                f'; not in the source {_compact(absent)}. Use a source of '
                'the same architecture, or set allow_partial=True if that is '
                'what you want.')
        unused = sorted(set(source) - used)
        total = len(own) - sum(n.startswith('transfer.') for n in own)
        print_log(
            f'{type(self).__name__}: from {path} (sha256 '
            f'{sha256_of_file(path)}): loaded {len(loaded)} of {total} '
            f'parameter tensors fully, {len(partial)} partially '
            f'[{_compact(partial)}]; kept fresh: {len(mismatched)} shape '
            f'mismatches [{_compact(mismatched)}], {len(absent)} not in '
            f'the source [{_compact(absent)}]; {len(unused)} source tensors '
            f'unused [{_compact(unused)}]. Loaded: {_compact(loaded)}',
            logger='current')
