"""Frozen source models (teachers) and the adapters that feed them."""
import contextlib
import copy
import glob
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner.checkpoint import load_checkpoint

from stpredict.registry import MODELS
from stpredict.utils.atomic_io import sha256_of_file

#: luminance weights of ITU-R BT.601 for RGB -> gray
RGB_TO_GRAY = (0.299, 0.587, 0.114)
#: how frozen teachers compute, see :class:`LockstepTeachers`
TEACHER_PRECISIONS = ('auto', 'float32', 'bfloat16', 'float16')


def check_teacher_precision(precision: str) -> str:
    """Refuse an unknown teacher precision with the choices."""
    if precision not in TEACHER_PRECISIONS:
        raise ValueError(
            f'teacher_precision must be one of {TEACHER_PRECISIONS} '
            "('auto': the student's autocast dtype when it runs under "
            f'autocast (--amp), else float32), got {precision!r}.')
    return precision


class FrameAdapter:
    """Bring target frames into a source model's input format.

    Frames are float ``[B, T, C, H, W]`` in ``[0, 1]`` (un-patched); the
    source model's own data preprocessor patches them afterwards.

    Args:
        size (Sequence[int], optional): ``(H, W)`` the source model expects;
            frames are resized bilinearly (with antialiasing when shrinking).
            None keeps the size. Defaults to None.
        channels (int, optional): Channels the source model expects: RGB to
            gray uses ITU-R BT.601 luminance, gray to RGB repeats the
            channel. None keeps them. Defaults to None.
    """

    def __init__(self,
                 size: Optional[Sequence[int]] = None,
                 channels: Optional[int] = None) -> None:
        self.size = tuple(int(s) for s in size) if size is not None else None
        self.channels = channels

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        batch, steps, channels, height, width = frames.shape
        x = frames.reshape(batch * steps, channels, height, width)
        if self.channels is not None and self.channels != channels:
            x = self._convert_channels(x, channels, self.channels)
        if self.size is not None and self.size != (height, width):
            shrink = self.size[0] < height or self.size[1] < width
            x = F.interpolate(
                x, size=self.size, mode='bilinear', align_corners=False,
                antialias=shrink)
        return x.reshape(batch, steps, *x.shape[1:])

    @staticmethod
    def _convert_channels(x: torch.Tensor, src: int,
                          dst: int) -> torch.Tensor:
        if src == 3 and dst == 1:
            weights = x.new_tensor(RGB_TO_GRAY).view(1, 3, 1, 1)
            return (x * weights).sum(dim=1, keepdim=True)
        if src == 1:
            return x.expand(-1, dst, -1, -1)
        raise ValueError(
            f'The frame adapter converts RGB to gray and gray to any number '
            f'of channels, not {src} to {dst} channels. Set the source\'s '
            'adapter=dict(channels=...) to what its model takes.')

    def __repr__(self) -> str:
        return f'FrameAdapter(size={self.size}, channels={self.channels})'


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config name>``: where ``tools/train.py`` saves a run."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def train_command(config_path: str) -> str:
    """The command that trains a source model."""
    return f'python tools/train.py {config_path}'


def find_checkpoint(config_path: Optional[str],
                    checkpoint: Optional[str]) -> str:
    """Resolve a source model's checkpoint, or say how to make it.

    Args:
        config_path (str, optional): The source model's config.
        checkpoint (str, optional): An explicit path; None looks in the
            config's default work dir for ``best_*.pth``, then the last
            checkpoint.

    Returns:
        str: An existing checkpoint path.

    Raises:
        FileNotFoundError: With the exact command that trains the source.
    """
    how = (f'Train it first: {train_command(config_path)}'
           if config_path else 'Give the path of a trained checkpoint.')
    if checkpoint is not None:
        if osp.isfile(checkpoint):
            return checkpoint
        raise FileNotFoundError(
            f'Source checkpoint "{checkpoint}" does not exist. {how}')
    if config_path is None:
        raise ValueError('A source needs a checkpoint or a config.')
    work_dir = default_work_dir(config_path)
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')),
                  key=osp.getmtime)
    if best:
        return best[-1]
    last = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as file:
            path = file.read().strip()
        if not osp.isabs(path) and not osp.isfile(path):
            path = osp.join(work_dir, path)  # written relative to the dir
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'The source model {config_path} has not been trained yet: no '
        f'best_*.pth or last_checkpoint in {work_dir}. {how} (or set the '
        "source's checkpoint=...).")


class SourceModel:
    """One frozen, pretrained source model (a teacher).

    It is deliberately not an ``nn.Module`` attribute of the student: its
    weights stay out of the optimiser, the saved checkpoint and DDP.

    Args:
        config (str): The source model's config file.
        checkpoint (str, optional): Its checkpoint; None finds the best or
            last checkpoint in ``work_dirs/<config name>``. Defaults to None.
        name (str, optional): A name for logs. Defaults to the config name.
        adapter (dict, optional): :class:`FrameAdapter` arguments that bring
            the target frames into this model's format. Defaults to None.
    """

    def __init__(self,
                 config: str,
                 checkpoint: Optional[str] = None,
                 name: Optional[str] = None,
                 adapter: Optional[dict] = None) -> None:
        self.config = config
        self.checkpoint = checkpoint
        self.name = name or osp.splitext(osp.basename(config))[0]
        self.adapter = FrameAdapter(**(adapter or {}))
        self.model = None
        self.loaded = False
        self.sha256: Optional[str] = None
        self._low_precision: Dict[Tuple[torch.dtype, str],
                                  torch.nn.Module] = {}

    def check_available(self) -> str:
        """Fail fast if the config or checkpoint is missing."""
        if not osp.isfile(self.config):
            raise FileNotFoundError(
                f'Source config "{self.config}" (source "{self.name}") does '
                'not exist.')
        return find_checkpoint(self.config, self.checkpoint)

    def build(self) -> torch.nn.Module:
        """Build the source model from its config (weights not loaded yet).

        Returns:
            nn.Module: The frozen predictor in eval mode.
        """
        if self.model is None:
            if not osp.isfile(self.config):
                raise FileNotFoundError(
                    f'Source config "{self.config}" (source "{self.name}") '
                    'does not exist.')
            cfg = Config.fromfile(self.config)
            model_cfg = copy.deepcopy(cfg.model)
            model_cfg.pop('transfer', None)
            model = MODELS.build(model_cfg)
            model.eval()
            model.requires_grad_(False)
            self.model = model
            self.loaded = False
        return self.model

    def load(self,
             device: Union[str, torch.device] = 'cpu') -> torch.nn.Module:
        """Build the source model, load its weights once, move it.

        Args:
            device (str | torch.device): Where the model runs.

        Returns:
            nn.Module: The frozen predictor in eval mode.
        """
        model = self.build()
        if not self.loaded:
            checkpoint = self.check_available()
            load_checkpoint(model, checkpoint, map_location='cpu',
                            strict=True, logger='silent')
            model.requires_grad_(False)
            self.checkpoint = checkpoint
            self.sha256 = sha256_of_file(checkpoint)
            self.loaded = True
            print_log(
                f'Source "{self.name}": loaded {checkpoint} (sha256 '
                f'{self.sha256}) into {type(model).__name__} of '
                f'{self.config}, frozen, {self.adapter}',
                logger='current')
        model.to(device)
        return model

    def low_precision_model(self, dtype: torch.dtype,
                            device: torch.device) -> torch.nn.Module:
        """A copy of the loaded model with its weights in ``dtype``.

        Run under autocast, its convolutions read the weights as they are
        instead of casting the float32 weights again at every call (autocast
        caches casts only of weights that require grad, and teachers are
        frozen). The casts are the ones autocast makes, so the results
        equal the float32 model's under autocast. The teacher is frozen, so
        the copy is made once.

        Args:
            dtype (torch.dtype): ``torch.bfloat16`` or ``torch.float16``.
            device (torch.device): Where the copy runs.

        Returns:
            nn.Module: The frozen copy in eval mode.
        """
        if self.model is None or not self.loaded:
            raise RuntimeError(
                f'Source "{self.name}" is not loaded yet: call load() first.')
        key = (dtype, str(device))
        if key not in self._low_precision:
            model = copy.deepcopy(self.model).to(device=device, dtype=dtype)
            model.eval()
            model.requires_grad_(False)
            self._low_precision[key] = model
        return self._low_precision[key]

    def adapt(self, student: torch.nn.Module,
              frames: torch.Tensor) -> torch.Tensor:
        """The student's patched frames in this model's patched format."""
        raw = student.data_preprocessor.unpatch(frames)
        return self.model.data_preprocessor.patch(self.adapter(raw))


def build_sources(sources: Sequence[dict]) -> List[SourceModel]:
    """Source models from config dicts (checked for missing fields)."""
    if not sources:
        raise ValueError('This transfer method needs at least one source: '
                         'sources=[dict(config=..., checkpoint=...)].')
    built = []
    for index, source in enumerate(sources):
        if 'config' not in source:
            raise ValueError(f'sources[{index}] needs a "config" (the source '
                             'model\'s config file).')
        built.append(SourceModel(**source))
    return built


class LockstepTeachers:
    """Run frozen source models in lockstep with the student.

    Every teacher sees the same frames (in its own format, through its
    adapter) and the same scheduled-sampling masks as the student, and
    where a mask says "use the prediction" it feeds on its own previous
    prediction. Teachers run without autograd: under
    ``torch.inference_mode`` (``inference=True``, for tensors the student
    only compares with, such as memory-transfer targets) or
    ``torch.no_grad`` (tensors that enter the student's graph, e.g.
    knowledge flow).

    Precision (``precision``): ``'float32'`` runs the teachers in float32
    (also when the student runs under autocast); ``'bfloat16'`` /
    ``'float16'`` run them under autocast with weights stored in that dtype
    (convolutions in low precision, the recurrent states in float32 as the
    student's under ``--amp``); ``'auto'`` follows the student: its
    autocast dtype when it runs under autocast, float32 otherwise. Under
    autocast ``'auto'`` computes what running the float32 teachers in the
    student's autocast context computes, without re-casting their weights
    at every step.

    Args:
        student (nn.Module): The student predictor (its ``step_input``
            defines when observed frames end).
        sources (list[SourceModel]): Loaded source models.
        frames (torch.Tensor): The student's patched frames.
        masks (SamplingMasks, optional): The unroll's masks.
        precision (str): ``'auto'``, ``'float32'``, ``'bfloat16'`` or
            ``'float16'``. Defaults to ``'auto'``.
        inference (bool): Use ``torch.inference_mode`` (the teachers'
            tensors cannot be saved for the student's backward pass).
            Defaults to False.
    """

    def __init__(self, student, sources: List[SourceModel],
                 frames: torch.Tensor, masks, precision: str = 'auto',
                 inference: bool = False) -> None:
        self.student = student
        self.sources = sources
        self.masks = masks
        self.inference = inference
        self.device_type = frames.device.type
        self.dtype = self._dtype(check_teacher_precision(precision))
        self.models = [
            source.model if self.dtype is None else
            source.low_precision_model(self.dtype, frames.device)
            for source in sources
        ]
        with self._context():
            self.frames = [source.adapt(student, frames) for source in sources]
        self.states: List[Optional[dict]] = [None] * len(sources)
        self.preds: List[Optional[torch.Tensor]] = [None] * len(sources)

    def _dtype(self, precision: str) -> Optional[torch.dtype]:
        """The teachers' low-precision dtype, or None for float32."""
        if precision == 'float32':
            return None
        if precision != 'auto':
            return getattr(torch, precision)
        if torch.is_autocast_enabled(self.device_type):
            return torch.get_autocast_dtype(self.device_type)
        return None

    def _context(self):
        """No autograd, and the teachers' precision."""
        stack = contextlib.ExitStack()
        stack.enter_context(
            torch.inference_mode() if self.inference else torch.no_grad())
        stack.enter_context(
            torch.autocast(self.device_type, dtype=self.dtype)
            if self.dtype is not None else torch.autocast(
                self.device_type, enabled=False))
        return stack

    def advance(self, step: int) -> List[dict]:
        """Run every teacher's step ``step``; return their neck states."""
        with self._context():
            for index, model in enumerate(self.models):
                x = self.student.step_input(step, self.frames[index],
                                            self.preds[index], self.masks)
                pred, state, _ = model.forward_step(x, self.states[index])
                self.preds[index], self.states[index] = pred, state
        return self.states


def initial_states(student, sources: List[SourceModel],
                   frames: torch.Tensor) -> tuple:
    """The student's and every source's neck states for one frame.

    Used to check at set-up that layers that exchange tensors agree in
    shape, before any training work.

    Args:
        student (nn.Module): The student predictor.
        sources (list[SourceModel]): Loaded source models.
        frames (torch.Tensor): The student's patched frames.

    Returns:
        tuple: ``(student_state, [source_state, ...])``.
    """
    with torch.no_grad():
        first = frames[:1, :1]
        target = student.neck.init_state(student.stem(first[:, 0]))
        states = []
        for source in sources:
            source_frames = source.adapt(student, first)
            states.append(
                source.model.neck.init_state(
                    source.model.stem(source_frames[:, 0])))
    return target, states


def prepare_sources(sources: List[SourceModel],
                    device: torch.device) -> None:
    """Load (once) and move the source models to ``device``."""
    for source in sources:
        source.load(device)


__all__ = [
    'FrameAdapter', 'SourceModel', 'LockstepTeachers', 'build_sources',
    'initial_states', 'TEACHER_PRECISIONS', 'check_teacher_precision',
    'find_checkpoint', 'prepare_sources', 'default_work_dir',
    'train_command'
]
