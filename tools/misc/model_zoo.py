"""Write docs/model_zoo.md: the shipped weights, and every config with its
model, data and results.

The page opens with the trained checkpoints of the zoo table
(``checkpoints/zoo.json``, see :mod:`stpredict.apis.model_zoo`): name, model,
files, test metrics, sha256 and the command that trained each.
Every config under ``configs/`` (except ``configs/_base_/``) and under
``projects/*/configs/`` is read with mmengine's ``Config`` (inheritance
resolved, nothing built, no plugin imported). One table per config folder
lists its cell, neck, training and test data, ``T_in -> T_out``,
iterations and transfer method, and the parameters and results of the
folder's README table when it has a row for the config.

Usage:
    python tools/misc/model_zoo.py            # (re)write docs/model_zoo.md
    python tools/misc/model_zoo.py --check    # exit 1 if it is out of date
"""
import argparse
import glob
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config  # noqa: E402

from stpredict.apis.model_zoo import ZooModel, load_model_zoo  # noqa: E402

DEFAULT_OUT = osp.join('docs', 'model_zoo.md')
#: README columns copied into the zoo (README header -> zoo header)
RESULT_COLUMNS = (('params', 'params'), ('mse', 'MSE'), ('mae', 'MAE'),
                  ('ssim', 'SSIM'), ('psnr', 'PSNR'))
#: other README headers of the same column (TMU's parameter table)
COLUMN_ALIASES = dict(params=('params', 'params (test)', 'test time'))
HEADER = ('config', 'cell', 'neck', 'train data', 'test data',
          'T_in -> T_out', 'iters', 'transfer') + tuple(
              title for _, title in RESULT_COLUMNS) + ('weights', )
#: columns of the table of shipped weights
WEIGHTS_HEADER = ('name', 'model', 'config', 'checkpoint', 'MSE', 'MAE',
                  'SSIM', 'PSNR', 'sha256', 'trained by')
LINK = re.compile(r'\[[^\]]*\]\(([^)]+\.py)\)')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write docs/model_zoo.md from the configs and the '
        'results tables of their folders\' READMEs.')
    parser.add_argument(
        '--out',
        default=DEFAULT_OUT,
        help='the markdown file, relative to the repository root (default: '
        f'{DEFAULT_OUT})')
    parser.add_argument(
        '--check',
        action='store_true',
        help='do not write; exit with status 1 when the file differs from '
        'what this script would write')
    return parser.parse_args(argv)


def config_folders() -> Dict[str, List[str]]:
    """Config files per folder (relative to the repository root)."""
    folders: Dict[str, List[str]] = {}
    patterns = [
        osp.join(REPO_ROOT, 'configs', '**', '*.py'),
        osp.join(REPO_ROOT, 'projects', '*', 'configs', '**', '*.py'),
    ]
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, recursive=True)):
            rel = osp.relpath(path, REPO_ROOT).replace(osp.sep, '/')
            if '/_base_/' in rel:
                continue
            folders.setdefault(osp.dirname(rel), []).append(rel)
    return dict(sorted(folders.items()))


def readme_rows(folder: str) -> Dict[str, Dict[str, str]]:
    """Rows of the folder README's tables, keyed by the linked config name.

    A row counts when its first cell links to a ``.py`` file; its cells are
    keyed by the lower-cased column headers of its table (the first table
    wins where two tables of a README have the same column).
    """
    for candidate in (osp.join(folder, 'README.md'),
                      osp.join(osp.dirname(folder), 'README.md')):
        path = osp.join(REPO_ROOT, candidate)
        if osp.isfile(path):
            break
    else:
        return {}
    rows: Dict[str, Dict[str, str]] = {}
    header: Optional[List[str]] = None
    with open(path, encoding='utf-8') as file:
        for line in file:
            line = line.strip()
            if not line.startswith('|'):
                header = None
                continue
            cells = [cell.strip() for cell in line.strip('|').split('|')]
            if header is None:
                header = [cell.lower() for cell in cells]
                continue
            if set(''.join(cells)) <= set('-: '):
                continue  # the separator row
            match = LINK.search(cells[0])
            if match:
                name = osp.splitext(osp.basename(match.group(1)))[0]
                # a config in several tables: keep every column
                row = rows.setdefault(name, {})
                for key, value in zip(header, cells):
                    row.setdefault(key, value)
    return rows


def short_number(value: int) -> str:
    """``80000 -> '80k'``, ``200 -> '200'``."""
    if value >= 1000 and value % 1000 == 0:
        return f'{value // 1000}k'
    return str(value)


def describe_cells(cell) -> str:
    """The cell type(s) of a neck, e.g. ``SpatioTemporalLSTMCell + 3 x
    MIMCell`` for one config per layer."""

    def one(cfg) -> str:
        name = cfg.get('type', '?')
        if 'cell' in cfg:  # a wrapper around another cell
            name += f"({cfg['cell'].get('type', '?')})"
        if 'kernel_size' in cfg:
            kernel = cfg['kernel_size']
            if isinstance(kernel, (list, tuple)):
                kernel = 'x'.join(str(k) for k in kernel)
            name += f' k{kernel}'
        return name

    if isinstance(cell, dict):
        return one(cell)
    groups: List[List] = []
    for cfg in cell:
        text = one(cfg)
        if groups and groups[-1][0] == text:
            groups[-1][1] += 1
        else:
            groups.append([text, 1])
    return ' + '.join(text if count == 1 else f'{count} x {text}'
                      for text, count in groups)


def describe_neck(neck) -> str:
    """e.g. ``SingleScaleStack 4x64`` or ``MultiScalePyramid 6x64 unet``."""
    layers = neck.get('num_layers', '?')
    hidden = neck.get('hidden_channels', '?')
    if isinstance(hidden, (list, tuple)):
        hidden = hidden[0] if len(set(hidden)) == 1 else '(' + ','.join(
            str(h) for h in hidden) + ')'
    text = f"{neck.get('type', '?')} {layers}x{hidden}"
    if neck.get('type') == 'MultiScalePyramid':
        text += f" {neck.get('skip', 'unet')}"
    return text


def describe_dataset(loader) -> str:
    """The dataset type of a loader (with the number of flying digits)."""
    if not loader:
        return '-'
    dataset = loader.get('dataset', {})
    text = dataset.get('type', '?')
    if 'num_digits' in dataset:
        digits = dataset['num_digits']
        text += f" ({digits} digit{'s' if digits != 1 else ''})"
    return text


def config_row(path: str, results: Dict[str, Dict[str, str]],
               weights: Dict[str, List[str]]) -> List[str]:
    """One table row for the config at ``path``; ``weights`` maps config
    paths to the names of their zoo checkpoints."""
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, path), import_custom_modules=False)
    name = osp.splitext(osp.basename(path))[0]
    model = cfg.get('model', {})
    neck = model.get('neck', {})
    transfer = model.get('transfer')
    train_loop = cfg.get('train_cfg') or {}
    iters = train_loop.get('max_iters')
    row = [
        f'[{name}]({osp.relpath(path, "docs")})',
        describe_cells(neck.get('cell', {})),
        describe_neck(neck),
        describe_dataset(cfg.get('train_dataloader')),
        describe_dataset(cfg.get('test_dataloader')),
        f"{model.get('input_frames', '?')} -> "
        f"{model.get('output_frames', '?')}",
        short_number(iters) if isinstance(iters, int) else '-',
        transfer.get('type', '?') if transfer else '-',
    ]
    readme = results.get(name, {})
    trained = 'not trained' not in ' '.join(readme.values())
    for key, _ in RESULT_COLUMNS:
        value = next((readme[alias] for alias in COLUMN_ALIASES.get(key, ())
                      if readme.get(alias)), readme.get(key, ''))
        if key == 'mse' and readme and not trained:
            value = 'not trained yet'
        row.append(value or '-')
    row.append(', '.join(f'`zoo:{name}`' for name in weights.get(path, []))
               or '-')
    return row


def table(rows: List[List[str]], header: Sequence[str] = HEADER) -> List[str]:
    lines = ['| ' + ' | '.join(header) + ' |',
             '| ' + ' | '.join('---' for _ in header) + ' |']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return lines


def weights_section(models: Dict[str, ZooModel]) -> List[str]:
    """The page's table of shipped checkpoints, with how to use them."""
    rows = []
    for name, model in models.items():
        metrics = model.test_metrics
        size = osp.getsize(model.checkpoint_path) / 2**20
        rows.append([
            f'`zoo:{name}`', model.description,
            f'`{model.config}`',
            f'[{osp.basename(model.checkpoint)}]'
            f'({osp.relpath(model.checkpoint, "docs")}) ({size:.1f} MB)',
            f"{metrics['mse']:.1f}", f"{metrics['mae']:.1f}",
            f"{metrics['ssim']:.3f}", f"{metrics['psnr']:.2f}",
            f'`{model.sha256}`',
            f'`{model.trained_by}` ({model.training})'
        ])
    measured = sorted({model.measured for model in models.values()})
    return [
        '## Trained weights', '',
        f'{len(models)} checkpoints are shipped in the repository (table: '
        '[checkpoints/zoo.json](../checkpoints/zoo.json)). Forecast your '
        'own frames, or score a model, by its name; no training, and the '
        'config is taken from the entry:', '',
        '```bash',
        'python tools/infer.py zoo:NAME --input frames.npy --out forecast',
        'python tools/test.py zoo:NAME',
        '```', '',
        'and in Python `init_forecaster(None, \'zoo:NAME\')` '
        '([inference.md](inference.md)); '
        '`python tools/deployment/export_onnx.py zoo:NAME` writes it as an '
        'ONNX model ([exporting.md](exporting.md)). Every load checks the '
        "file against the entry's sha256 and refuses a changed file.", '',
        'Test metrics: `python tools/test.py zoo:NAME` on the test split of '
        "the model's config (MSE and MAE per frame; measured on "
        f"{'; '.join(measured)}).", ''
    ] + table(rows, WEIGHTS_HEADER) + [
        '',
        'Adding a model: put its checkpoint (weights only, under 2 MB) and '
        'its `.sha256` file under `checkpoints/`, add one entry to '
        '`checkpoints/zoo.json` (config, checkpoint, sha256, description, '
        'training command, test metrics of `python tools/test.py zoo:NAME`, '
        'where they were measured), then regenerate this page.'
    ]


def render() -> str:
    """The whole markdown page."""
    folders = config_folders()
    total = sum(len(paths) for paths in folders.values())
    lines = [
        '# Model zoo',
        '',
        '<!-- Generated by tools/misc/model_zoo.py; do not edit by hand. -->',
        '',
        'The trained weights shipped in the repository (first table), then '
        f'all {total} configs, one table per folder, read from the configs '
        'themselves (inheritance resolved). Parameters and results come from '
        "the folder's README (its results table, with the command that "
        'produced each number); `-` means the README has none. MSE and MAE '
        'are per frame (sum over the pixels of a frame), averaged over the '
        'predicted frames and the test sequences ([metrics.md](metrics.md)). '
        'Regenerate this page after adding a config or a result:',
        '',
        '```bash',
        'python tools/misc/model_zoo.py',
        '```',
        '',
        '`python tools/misc/model_zoo.py --check` (run by the tests) fails '
        'when the page is out of date. Columns: the cell (with its kernel) '
        'and the neck (layers x hidden channels), the training and test '
        'datasets, the frames observed and predicted, the training '
        'iterations and the transfer method; `weights` names the shipped '
        'checkpoints of a config.',
        '',
    ]
    models = load_model_zoo()
    weights: Dict[str, List[str]] = {}
    for name, model in models.items():
        weights.setdefault(model.config, []).append(name)
    lines += weights_section(models)
    for folder, paths in folders.items():
        results = readme_rows(folder)
        readme = next((osp.join(f, 'README.md')
                       for f in (folder, osp.dirname(folder))
                       if osp.isfile(osp.join(REPO_ROOT, f, 'README.md'))),
                      None)
        lines += ['', f'## {folder}', '']
        if readme:
            lines += [
                f'README (details, results, commands): '
                f'[{readme}]({osp.relpath(readme, "docs")})', ''
            ]
        lines += table(
            [config_row(path, results, weights) for path in paths])
    return '\n'.join(lines) + '\n'


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    out = osp.join(REPO_ROOT, args.out)
    text = render()
    if args.check:
        current = None
        if osp.isfile(out):
            with open(out, encoding='utf-8') as file:
                current = file.read()
        if current != text:
            print(f'{args.out} is out of date (a config or a README results '
                  'table changed). Regenerate it with: python '
                  'tools/misc/model_zoo.py', file=sys.stderr)
            return 1
        print(f'{args.out} is up to date.')
        return 0
    with open(out, 'w', encoding='utf-8') as file:
        file.write(text)
    print(f'wrote {args.out}: {text.count(chr(10))} lines')
    return 0


if __name__ == '__main__':
    sys.exit(main())
