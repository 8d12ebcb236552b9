"""Every command of the documentation is checked.

Commands come from the fenced ``bash`` blocks and the inline
``python tools/...`` spans of ``docs/*.md``, ``README.md``,
``configs/*/README.md`` and ``projects/*/README.md`` (the extraction of
``tools/misc/check_docs.py``, which runs the quick ones for real). Here,
without running anything long:

- every repository path a command names exists (placeholders in capitals
  such as ``CONFIG`` and outputs under ``work_dirs/`` are allowed);
- every ``python tools/X.py ...`` command (and every launch script that
  passes its options to one) parses with that tool's argument parser;
- every tool starts: it imports and prints its ``--help``;
- relative links of the pages resolve, and ``docs/index.md`` links every
  page; the Python examples of the "adding a ..." guides run;
- ``docs/model_zoo.md`` is up to date (``tools/misc/model_zoo.py --check``).
"""
import argparse
import contextlib
import glob
import importlib.util
import io
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))


def load_module(path):
    """Import a file of the repository as a module (cached)."""
    name = '_docs_' + re.sub(r'\W', '_', path)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name,
                                                      osp.join(ROOT, path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


check_docs = load_module('tools/misc/check_docs.py')
DOCS = check_docs.doc_files(ROOT)
COMMANDS = {doc: check_docs.extract_commands(doc, ROOT) for doc in DOCS}
TOOLS = sorted(
    osp.relpath(path, ROOT).replace(osp.sep, '/')
    for path in glob.glob(osp.join(ROOT, 'tools', '**', '*.py'),
                          recursive=True)
    if "__name__ == '__main__'" in open(path, encoding='utf-8').read())


class _Parsed(Exception):
    """Raised by the patched parser once the arguments are parsed."""


@contextlib.contextmanager
def tool_environment(argv):
    """Run a tool's parser with ``sys.argv = argv``; restore everything."""
    saved_argv, saved_env = sys.argv, dict(os.environ)
    sys.argv = list(argv)
    try:
        yield
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)


def parse_tool_args(tool, args):
    """Parse ``args`` with the parser of ``tool``; return an error or None.

    Uses the tool's ``parse_args`` when it has one; otherwise its ``main``
    is called with ``ArgumentParser.parse_args`` patched to stop right after
    parsing, so nothing of the tool runs.
    """
    module = load_module(tool)
    original = argparse.ArgumentParser.parse_args
    stderr = io.StringIO()

    def parse_then_stop(parser, *a, **k):
        namespace = original(parser, *a, **k)
        raise _Parsed(namespace)

    entry = getattr(module, 'parse_args', None)
    try:
        with tool_environment([tool] + list(args)), \
                contextlib.redirect_stderr(stderr), \
                contextlib.redirect_stdout(io.StringIO()):
            if entry is not None:
                entry()
            else:
                argparse.ArgumentParser.parse_args = parse_then_stop
                module.main()
    except _Parsed:
        pass
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            return stderr.getvalue().strip() or f'exit {exit_.code}'
    finally:
        argparse.ArgumentParser.parse_args = original
    return None


def test_commands_are_found():
    total = sum(len(c) for c in COMMANDS.values())
    assert total > 50
    tools = {
        inv[0] for cmds in COMMANDS.values() for inv in map(
            check_docs.tool_invocation, cmds) if inv
    }
    assert {'tools/train.py', 'tools/test.py'} <= tools
    # a continued command is one command
    train = [c for c in COMMANDS['docs/configs.md']
             if '--cfg-options' in c.argv and 'custom_hooks.0.end_iter=8'
             in c.argv and 'tools/train.py' in c.argv]
    assert train and train[0].argv[-1] == 'custom_hooks.0.end_iter=8'


def test_extraction_handles_continuations_operators_and_env(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text(textwrap.dedent('''\
        Text `python tools/train.py CONFIG
        --amp` more. Save this as
        `configs/mine/new.py`:

        ```bash
        # a comment
        GPUS=8 bash tools/slurm_train.sh P J CONFIG WORK_DIR \\
            --amp  # trailing comment
        cd work_dirs && python tools/test.py CONFIG CHECKPOINT
        ```
        '''))
    found = check_docs.extract_commands('page.md', str(tmp_path))
    by_text = {' '.join(c.argv): c for c in found}
    slurm = by_text['bash tools/slurm_train.sh P J CONFIG WORK_DIR --amp']
    assert slurm.env == {'GPUS': '8'} and slurm.line == 7
    assert check_docs.tool_invocation(slurm) == (
        'tools/train.py', ['CONFIG', '--work-dir', 'WORK_DIR', '--amp'])
    assert 'cd work_dirs' in by_text
    assert 'python tools/test.py CONFIG CHECKPOINT' in by_text
    inline = by_text['python tools/train.py CONFIG --amp']
    assert inline.inline and inline.line == 1
    # a file the page asks to create is not missing; others are
    (page.parent / 'configs').mkdir()
    cmd = inline._replace(argv=['python', 'tools/train.py',
                                'configs/mine/new.py', 'configs/none.py'])
    assert check_docs.missing_paths(cmd, str(tmp_path)) == [
        'tools/train.py', 'configs/none.py']
    assert check_docs.is_placeholder('WORK_DIR/iter_4.pth')
    assert check_docs.is_placeholder('configs/<method>/x.py')
    assert not check_docs.is_placeholder('configs/ms_rnn/README.md')
    assert not check_docs.is_placeholder('model.neck.type=MultiScalePyramid')


@pytest.mark.parametrize('doc', DOCS)
def test_paths_in_commands_exist(doc):
    missing = [
        f'{doc}:{c.line}: {path}  (in: {c.text})'
        for c in COMMANDS[doc] for path in check_docs.missing_paths(c, ROOT)
    ]
    assert not missing, 'paths that do not exist:\n' + '\n'.join(missing)


@pytest.mark.parametrize('doc', DOCS)
def test_tool_arguments_parse(doc):
    errors = []
    for command in COMMANDS[doc]:
        invocation = check_docs.tool_invocation(command)
        if invocation is None or check_docs.is_usage_syntax(command):
            continue
        tool, args = invocation
        where = f'{doc}:{command.line}: {command.text}'
        if not osp.isfile(osp.join(ROOT, tool)):
            errors.append(f'{where}\n    {tool} does not exist')
        elif args is None:
            errors.append(f'{where}\n    too few arguments for the script')
        else:
            error = parse_tool_args(tool, args)
            if error:
                errors.append(f'{where}\n    {error}')
    assert not errors, 'commands that do not parse:\n' + '\n'.join(errors)


@pytest.mark.parametrize('tool', TOOLS)
def test_tool_starts_and_prints_help(tool):
    """Every tool imports and prints its --help (without running)."""
    module = load_module(tool)
    assert hasattr(module, 'parse_args') or hasattr(module, 'main'), tool
    stdout = io.StringIO()
    with tool_environment([tool, '--help']), \
            contextlib.redirect_stdout(stdout), \
            pytest.raises(SystemExit) as exit_:
        if hasattr(module, 'parse_args'):
            module.parse_args()
        else:
            module.main()
    assert exit_.value.code in (0, None)
    assert 'usage:' in stdout.getvalue()


def test_bad_arguments_are_caught():
    # the checker itself: an option the tool does not have is an error
    assert 'unrecognized arguments' in parse_tool_args(
        'tools/train.py', ['CONFIG', '--no-such-option'])
    before = os.environ.get('LOCAL_RANK')
    assert parse_tool_args('tools/train.py', ['CONFIG', '--amp']) is None
    # train.py's parse_args sets LOCAL_RANK; the checker restores it
    assert os.environ.get('LOCAL_RANK') == before


def test_help_runs_in_a_fresh_process():
    """One real start from the shell, as a user types it."""
    result = subprocess.run(
        [sys.executable, 'tools/misc/check_docs.py', '--help'], cwd=ROOT,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and 'usage:' in result.stdout


# ----------------------------------------------------------------------
# links
# ----------------------------------------------------------------------
LINK = re.compile(r'(?<!!)\[[^\]]*\]\(([^)\s]+)\)')


def heading_anchors(path):
    """GitHub's anchors of the headings of a markdown file."""
    anchors = set()
    with open(path, encoding='utf-8') as file:
        in_code = False
        for line in file:
            if line.startswith('```'):
                in_code = not in_code
            if in_code or not line.startswith('#'):
                continue
            title = line.lstrip('#').strip().lower()
            title = re.sub(r'[^\w\- ]', '', title)
            anchors.add(title.replace(' ', '-'))
    return anchors


@pytest.mark.parametrize('doc', DOCS)
def test_relative_links_resolve(doc):
    with open(osp.join(ROOT, doc), encoding='utf-8') as file:
        text = re.sub(r'```.*?```', '', file.read(), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r'[a-z]+:', target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition('#')
        full = osp.normpath(osp.join(ROOT, osp.dirname(doc), path)) \
            if path else osp.join(ROOT, doc)
        if not osp.exists(full):
            broken.append(f'{target} (no file {osp.relpath(full, ROOT)})')
        elif anchor and full.endswith('.md') and \
                anchor not in heading_anchors(full):
            broken.append(f'{target} (no heading #{anchor})')
    assert not broken, f'{doc}: broken links:\n' + '\n'.join(broken)


def test_index_links_every_page():
    with open(osp.join(ROOT, 'docs', 'index.md'), encoding='utf-8') as file:
        linked = {t.partition('#')[0] for t in LINK.findall(file.read())}
    pages = {
        osp.basename(p)
        for p in glob.glob(osp.join(ROOT, 'docs', '*.md'))
    } - {'index.md'}
    assert not pages - linked, f'not linked from docs/index.md: ' \
        f'{sorted(pages - linked)}'


# ----------------------------------------------------------------------
# the Python examples of the guides, and the model zoo page
# ----------------------------------------------------------------------
EXAMPLES_SCRIPT = r'''
import os, re, sys, tempfile
import torch
sys.path.insert(0, os.getcwd())
from stpredict.registry import DATASETS, MODELS
from stpredict.utils import register_all_modules
register_all_modules(init_default_scope=False)

def blocks(path):
    return re.findall(r'```python\n(.*?)```', open(path).read(), re.S)

def run(code):
    scope = {}
    exec(code, scope)
    return scope

tiny = dict(type='RecurrentPredictor', input_frames=3, output_frames=2,
            in_channels=1)
stack = dict(type='SingleScaleStack', num_layers=2, hidden_channels=4,
             cell=dict(type='ConvLSTMCell', kernel_size=3))
frames = torch.rand(2, 5, 1, 8, 8)

# adding_a_neck.md: the neck class and the config that uses it
neck_doc = blocks('docs/adding_a_neck.md')
run(neck_doc[0])
neck = dict(run(neck_doc[1])['model']['neck'])
neck.pop('_delete_')
model = MODELS.build(dict(tiny, neck=neck))
assert model(frames).shape == (2, 4, 1, 8, 8)
try:
    MODELS.build(dict(tiny, neck=dict(neck, hidden_channels=[4, 8, 8, 4])))
    raise AssertionError('unequal channels were accepted')
except ValueError as error:
    assert 'equal channels' in str(error)

# adding_a_transfer.md: FinetuneFrozen and its config, the teacher sketch
transfer_doc = blocks('docs/adding_a_transfer.md')
run(transfer_doc[0])
work = tempfile.mkdtemp()
source = MODELS.build(dict(tiny, neck=stack))
checkpoint = os.path.join(work, 'source.pth')
torch.save(dict(state_dict=source.state_dict()), checkpoint)
transfer = dict(run(transfer_doc[1])['model']['transfer'])
transfer['checkpoint'] = checkpoint
student = MODELS.build(dict(tiny, neck=stack, transfer=transfer))
student.init_weights()
frozen = [n for n, p in student.named_parameters() if not p.requires_grad]
assert frozen and all(n.startswith('neck.cells.0.') for n in frozen), frozen
assert torch.equal(student.neck.cells[0].gate_conv.weight,
                   source.neck.cells[0].gate_conv.weight)
losses = student.loss(frames)
assert 0 < float(losses['frozen_fraction']) < 1
sketch = run(transfer_doc[2])
config = os.path.join(work, 'source_config.py')
with open(config, 'w') as file:
    file.write(f'model = {dict(tiny, neck=stack)!r}\n')
student = MODELS.build(dict(tiny, neck=stack))
student.transfer = sketch['AddTeacherHidden'](
    sources=[dict(config=config, checkpoint=checkpoint)], neck=student.neck)
student.loss(frames)['loss_frame'].backward()
assert student.transfer.is_set_up
assert student.transfer.begin(student, frames, None, False) is None

# custom_dataset.md: the dataset class
dataset_doc = [b for b in blocks('docs/custom_dataset.md')
               if 'register_module' in b]
run(dataset_doc[0])
train = DATASETS.build(dict(type='MovingBars', num_sequences=3, size=16,
                            input_frames=3, output_frames=2))
sample = train[1]
assert tuple(sample['inputs'].shape) == (5, 1, 16, 16)
again = DATASETS.build(dict(type='MovingBars', num_sequences=3, size=16,
                            input_frames=3, output_frames=2))[1]
assert torch.equal(sample['inputs'], again['inputs'])
test = DATASETS.build(dict(type='MovingBars', num_sequences=3, size=16,
                           split='test', input_frames=3, output_frames=2))
assert not torch.equal(sample['inputs'], test[1]['inputs'])
print('EXAMPLES OK')
'''


def test_python_examples_of_the_guides_run():
    """The neck, transfer and dataset classes of the guides work as shown.

    In a fresh process, so that their registrations stay out of the suite.
    """
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    result = subprocess.run(
        [sys.executable, '-c', EXAMPLES_SCRIPT], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and 'EXAMPLES OK' in output, output[-4000:]


def test_model_zoo_page_is_up_to_date(tmp_path, capsys):
    model_zoo = load_module('tools/misc/model_zoo.py')
    assert model_zoo.main(['--check']) == 0, (
        'docs/model_zoo.md is out of date: run python '
        'tools/misc/model_zoo.py')
    # every config has one row, linked to its file
    text = open(osp.join(ROOT, 'docs', 'model_zoo.md')).read()
    configs = [
        p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                             recursive=True) if '_base_' not in p
    ]
    for path in configs:
        rel = osp.relpath(path, osp.join(ROOT, 'docs')).replace(osp.sep, '/')
        assert text.count(f']({rel})') == 1, rel
    # README results are copied (the tiny ConvLSTM's row)
    row = next(line for line in text.splitlines()
               if 'convlstm_2x32_flying2digits-10to10_tiny.py)' in line)
    assert '| 194.2 | 252.5 | 0.714 | 13.54 |' in row
    assert '| ConvLSTMCell k3 | SingleScaleStack 2x32 |' in row
    # --check notices a stale page
    stale = tmp_path / 'zoo.md'
    stale.write_text(text.replace('194.2', '999.9'))
    assert model_zoo.main(['--check', '--out', str(stale)]) == 1
    assert 'out of date' in capsys.readouterr().err


def test_architecture_page_names_existing_files():
    # docs/architecture.md is the map of the package: every repository
    # path it names in backticks must exist
    with open(osp.join(ROOT, 'docs', 'architecture.md'),
              encoding='utf-8') as file:
        text = file.read()
    paths = set(re.findall(
        r'`((?:stpredict|configs|tools|tests)/[\w./-]*)`', text))
    assert len(paths) > 20, 'the page should name the package files'
    missing = sorted(p for p in paths
                     if not osp.exists(osp.join(ROOT, p.rstrip('/'))))
    assert not missing, f'docs/architecture.md names missing files: {missing}'
