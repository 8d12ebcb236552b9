"""Refuse checkpoints whose weights do not fit the model."""
import logging
import re
from typing import Sequence

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from stpredict.registry import HOOKS
from stpredict.utils.checkpoint import (WeightsMismatchError,
                                        describe_mismatch, weights_mismatch)


@HOOKS.register_module()
class StrictLoadHook(Hook):
    """Check every checkpoint the Runner loads against the model, strictly.

    mmengine loads ``load_from``, ``--resume`` and ``tools/test.py``'s
    checkpoint non-strictly: an empty or partial ``state_dict`` only logs a
    warning, and the run then trains or tests a partly random model (the
    metrics of a random model look like results). This hook runs when the
    file has been read and before its weights go into the model - before
    any iteration or test batch - and stops with
    :class:`~stpredict.utils.checkpoint.WeightsMismatchError` listing the
    missing, unexpected and mis-shaped keys.

    Loading only part of a checkpoint on purpose must be asked for by name:
    list the keys (``fnmatch`` patterns) in ``allow_missing``,
    ``allow_unexpected`` or ``allow_mismatched``, or set ``strict=False``
    (the mismatch is then logged as a warning).

    Args:
        strict (bool): Refuse mismatched weights. Defaults to True.
        allow_missing (Sequence[str]): Model keys the checkpoint may lack,
            e.g. ``['head.*']``. Defaults to ().
        allow_unexpected (Sequence[str]): Checkpoint keys the model may
            lack. Defaults to ().
        allow_mismatched (Sequence[str]): Keys whose shapes may differ
            (mmengine then skips them). Defaults to ().
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 strict: bool = True,
                 allow_missing: Sequence[str] = (),
                 allow_unexpected: Sequence[str] = (),
                 allow_mismatched: Sequence[str] = ()) -> None:
        for name, value in (('allow_missing', allow_missing),
                            ('allow_unexpected', allow_unexpected),
                            ('allow_mismatched', allow_mismatched)):
            if isinstance(value, str) or not all(
                    isinstance(item, str) for item in value):
                raise TypeError(
                    f'StrictLoadHook.{name} must be a list of key patterns '
                    f"(e.g. ['head.*']), got {value!r}.")
        self.strict = bool(strict)
        self.allow_missing = tuple(allow_missing)
        self.allow_unexpected = tuple(allow_unexpected)
        self.allow_mismatched = tuple(allow_mismatched)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Compare the checkpoint's weights with the model's.

        Args:
            runner (Runner): The runner.
            checkpoint (dict): The loaded checkpoint (weights not yet in
                the model).
        """
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        state_dict = checkpoint.get('state_dict', checkpoint) \
            if isinstance(checkpoint, dict) else checkpoint
        if not isinstance(state_dict, dict):
            raise WeightsMismatchError(
                'The checkpoint being loaded holds no state_dict of '
                'weights. Give a checkpoint written by tools/train.py.')
        # what mmengine's Runner.load_checkpoint strips (DDP's prefix)
        state_dict = {
            re.sub(r'^module\.', '', key): value
            for key, value in state_dict.items()
        }
        problems = weights_mismatch(model, state_dict, self.allow_missing,
                                    self.allow_unexpected,
                                    self.allow_mismatched)
        if not any(problems.values()):
            return
        filename = getattr(runner, '_load_from', None) or 'the checkpoint'
        config = getattr(runner.cfg, 'filename', None) or 'the config'
        detail = describe_mismatch(problems)
        if not self.strict:
            print_log(
                f'default_hooks.strict_load.strict=False: loading the '
                f'weights of "{filename}" that fit the model of {config} '
                f'only ({detail}).', logger='current', level=logging.WARNING)
            return
        raise WeightsMismatchError(
            f'The weights of checkpoint "{filename}" do not fit the model '
            f'of config {config} ({detail}). Nothing was loaded and nothing '
            'ran. Give the checkpoint of this config (the copy of the config '
            'in the training work dir includes the --cfg-options of that '
            'run). To load only the matching weights on purpose, name the '
            'keys: default_hooks.strict_load.allow_missing / '
            "allow_unexpected / allow_mismatched (patterns like 'head.*'), "
            'or set default_hooks.strict_load.strict=False.')
