"""The model zoo: trained weights shipped in the repository, by name.

The zoo is one table, ``checkpoints/zoo.json``: every entry maps a name to
the config the model was trained with, its checkpoint (a path in the
repository), the checkpoint's SHA-256, the command that trained it and the
test metrics of ``python tools/test.py zoo:NAME``. Adding a model is one
entry there plus the checkpoint file (and its ``.sha256`` file);
``python tools/misc/model_zoo.py`` then lists it in ``docs/model_zoo.md``.

``zoo:NAME`` stands for such a checkpoint wherever a checkpoint is given:
:func:`~stpredict.apis.init_forecaster`, ``tools/infer.py``,
``tools/test.py`` and ``tools/deployment/export_onnx.py``, which take the
config from the entry when none is given. The file is checked against the
entry's SHA-256 before it is loaded.
"""
import json
import os
import os.path as osp
from typing import Dict, NamedTuple, Optional, Tuple, Union

from stpredict.utils.atomic_io import sha256_of_file
from stpredict.utils.checkpoint import ChecksumMismatchError

#: How a zoo checkpoint is written where a checkpoint path is expected.
ZOO_PREFIX = 'zoo:'
#: The zoo table of this checkout (``<repository>/checkpoints/zoo.json``).
DEFAULT_ZOO_FILE = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    'checkpoints', 'zoo.json')
#: The fields every entry of the table has.
ZOO_FIELDS = ('config', 'checkpoint', 'sha256', 'description', 'trained_by',
              'training', 'test_metrics', 'measured')


class UnknownZooModelError(ValueError):
    """A ``zoo:NAME`` whose name is not in the zoo table."""


class ZooModel(NamedTuple):
    """One entry of the model zoo.

    Attributes:
        name (str): The name after ``zoo:``.
        config (str): The training config, relative to the repository root.
        checkpoint (str): The checkpoint, relative to the repository root.
        sha256 (str): The checkpoint's SHA-256 (64 hex digits).
        description (str): What the model is (cell, size, data, frames).
        trained_by (str): The command that trained it.
        training (str): How long, and which checkpoint of the run it is.
        test_metrics (dict): ``mse``, ``mae`` (per frame), ``ssim`` and
            ``psnr`` of ``python tools/test.py zoo:NAME``.
        measured (str): Where and when the metrics were measured (machine,
            threads, date).
        root (str): The repository root the paths are relative to.
    """
    name: str
    config: str
    checkpoint: str
    sha256: str
    description: str
    trained_by: str
    training: str
    test_metrics: Dict[str, float]
    measured: str
    root: str

    @property
    def config_path(self) -> str:
        """The absolute path of the config."""
        return osp.join(self.root, self.config)

    @property
    def checkpoint_path(self) -> str:
        """The absolute path of the checkpoint."""
        return osp.join(self.root, self.checkpoint)


def is_zoo_name(value: object) -> bool:
    """Whether ``value`` is written ``zoo:NAME``.

    Args:
        value (object): A checkpoint (or config) argument.

    Returns:
        bool: True for a string starting with ``zoo:``.
    """
    return isinstance(value, str) and value.startswith(ZOO_PREFIX)


def load_model_zoo(zoo_file: Optional[str] = None) -> Dict[str, ZooModel]:
    """Read the zoo table.

    Args:
        zoo_file (str, optional): The table; its paths are relative to the
            folder above the table's folder. Defaults to
            :data:`DEFAULT_ZOO_FILE`.

    Returns:
        dict[str, ZooModel]: The entries by name, in the table's order.

    Raises:
        FileNotFoundError: The table does not exist (an installed package
            without the repository).
        ValueError: The table is not valid JSON or an entry lacks a field.
    """
    zoo_file = osp.abspath(zoo_file or DEFAULT_ZOO_FILE)
    if not osp.isfile(zoo_file):
        raise FileNotFoundError(
            f'The model zoo table {zoo_file} does not exist. zoo:NAME needs '
            'a checkout of the stpredict repository (its checkpoints/ '
            'folder holds the weights); clone it and install it with '
            '"pip install -e .".')
    try:
        with open(zoo_file, encoding='utf-8') as file:
            table = json.load(file)
    except ValueError as error:
        raise ValueError(
            f'The model zoo table {zoo_file} is not valid JSON ({error}). '
            'Fix the entry you edited (git diff shows it).') from None
    if not isinstance(table, dict):
        raise ValueError(f'The model zoo table {zoo_file} must be a JSON '
                         'object of entries by name.')
    root = osp.dirname(osp.dirname(zoo_file))
    models = {}
    for name, entry in table.items():
        missing = [
            field for field in ZOO_FIELDS
            if not isinstance(entry, dict) or field not in entry
        ]
        if missing:
            raise ValueError(
                f'Entry "{name}" of the model zoo table {zoo_file} lacks '
                f'{missing}; every entry has the fields {list(ZOO_FIELDS)}.')
        models[name] = ZooModel(
            name=name, root=root, **{field: entry[field]
                                     for field in ZOO_FIELDS})
    return models


def get_zoo_model(name: str, zoo_file: Optional[str] = None) -> ZooModel:
    """The zoo entry of ``name`` (with or without ``zoo:``).

    Args:
        name (str): ``NAME`` or ``zoo:NAME``.
        zoo_file (str, optional): See :func:`load_model_zoo`.

    Returns:
        ZooModel: The entry.

    Raises:
        UnknownZooModelError: No entry has that name; the message lists the
            names there are.
    """
    key = name[len(ZOO_PREFIX):] if is_zoo_name(name) else name
    models = load_model_zoo(zoo_file)
    if key not in models:
        known = ', '.join(f'zoo:{known}' for known in models) or 'none'
        raise UnknownZooModelError(
            f'"{ZOO_PREFIX}{key}" is not in the model zoo. Known models: '
            f'{known} (docs/model_zoo.md lists them with their metrics).')
    return models[key]


def verify_zoo_checkpoint(model: ZooModel) -> str:
    """Check a zoo checkpoint against the SHA-256 of its entry.

    Args:
        model (ZooModel): The entry.

    Returns:
        str: The absolute path of the verified checkpoint.

    Raises:
        FileNotFoundError: The checkpoint file is missing.
        ChecksumMismatchError: The file's SHA-256 differs from the entry's.
    """
    path = model.checkpoint_path
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'The checkpoint of zoo:{model.name}, {path}, does not exist. '
            f'Restore it with "git checkout -- {model.checkpoint}", or '
            f'retrain it with: {model.trained_by}')
    actual = sha256_of_file(path)
    if actual != model.sha256:
        raise ChecksumMismatchError(
            f'The checkpoint of zoo:{model.name}, {path}, does not match the '
            f'model zoo: expected sha256 {model.sha256}, the file has '
            f'{actual}. It was changed or damaged; restore the shipped file '
            f'with "git checkout -- {model.checkpoint}". If you replaced the '
            'weights on purpose, write the new sha256 into the entry of '
            'checkpoints/zoo.json (and re-measure its test_metrics).')
    return path


def resolve_model_files(
    config: Optional[Union[str, os.PathLike]],
    checkpoint: Optional[Union[str, os.PathLike]],
    zoo_file: Optional[str] = None
) -> Tuple[Optional[Union[str, os.PathLike]],
           Optional[Union[str, os.PathLike]]]:
    """The config and checkpoint files that a (config, checkpoint) pair
    names, with ``zoo:NAME`` resolved and verified.

    ``checkpoint='zoo:NAME'`` becomes the verified checkpoint file of the
    entry, and ``config=None`` its config; a given config is kept (e.g. one
    that tests the model on other data). ``config='zoo:NAME'`` with no
    checkpoint is read as the checkpoint (tools whose first argument is
    the config). Anything else is returned unchanged.

    Args:
        config (str | os.PathLike, optional): A config file, or None.
        checkpoint (str | os.PathLike, optional): A checkpoint file,
            ``zoo:NAME`` or None.
        zoo_file (str, optional): See :func:`load_model_zoo`.

    Returns:
        tuple: ``(config, checkpoint)``.

    Raises:
        ValueError: Neither a config nor a zoo checkpoint is given.
    """
    if is_zoo_name(config) and checkpoint is None:
        config, checkpoint = None, config
    if is_zoo_name(config):
        raise ValueError(
            f'{config} names a checkpoint, not a config. Give it as the '
            'checkpoint (the config is taken from the zoo entry).')
    if is_zoo_name(checkpoint):
        model = get_zoo_model(checkpoint, zoo_file)
        checkpoint = verify_zoo_checkpoint(model)
        if config is None:
            config = model.config_path
    if config is None:
        raise ValueError(
            'No config given: give the config the model was trained with, '
            'or a zoo:NAME checkpoint, whose entry names its config.')
    return config, checkpoint


__all__ = [
    'ZOO_PREFIX', 'DEFAULT_ZOO_FILE', 'UnknownZooModelError', 'ZooModel',
    'is_zoo_name', 'load_model_zoo', 'get_zoo_model', 'verify_zoo_checkpoint',
    'resolve_model_files'
]
