"""Run the quick commands of the documentation for real.

Commands are taken from the fenced ``bash`` blocks (and the inline
``python tools/...`` / ``bash tools/...`` code spans) of ``docs/*.md``,
``README.md``, ``configs/*/README.md`` and ``projects/*/README.md``. Every
tool they name is started with ``--help``; then the commands that are quick
run as written (config printing, module listing, parameter counts, the model
zoo check, ``--help``, ``python -c``). Training, testing, installation and
commands with placeholders (``CONFIG``, ``CHECKPOINT``, ...) are listed as
skipped. ``tests/test_docs_commands.py`` checks every command statically
(paths exist, arguments parse) with the same extraction.

Usage:
    python tools/misc/check_docs.py            # run the quick commands
    python tools/misc/check_docs.py --list     # only show what would run
    python tools/misc/check_docs.py --docs docs/configs.md README.md
"""
import argparse
import glob
import os
import os.path as osp
import re
import shlex
import subprocess
import sys
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

#: top-level folders whose paths in commands must exist
REPO_PREFIXES = ('tools/', 'configs/', 'projects/', 'docs/')
#: "Save this as `configs/x.py`": a file the page tells the reader to make
SAVE_AS = re.compile(r'[Ss]ave\s+(?:this\s+|it\s+)?as\s+`([^`]+)`')
SHELL_OPERATORS = ('&&', '||', ';', '|', '&')
PYTHONS = ('python', 'python3')

FENCE = re.compile(r'^```(?:bash|sh|shell|console)[ \t]*\n(.*?)^```',
                   re.M | re.S)
INLINE = re.compile(r'(?<!`)`((?:python|bash)\s[^`]*?tools/[^`]*)`(?!`)')
PLACEHOLDER = re.compile(r'[A-Z][A-Z0-9_]{2,}')
NOT_PLACEHOLDERS = ('README', 'LICENSE')
ENV_ASSIGNMENT = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=')
USAGE_SYNTAX = re.compile(r'\[[^\]]*\s[^\]]*\]|\{[^}]*\}|\[-')


class Command(NamedTuple):
    """One simple command of a documentation page."""
    doc: str  #: the page, relative to the repository root
    line: int  #: the line of the page where the command starts
    text: str  #: the command as written (continuations joined)
    argv: List[str]  #: its words, without leading VAR=value assignments
    env: Dict[str, str]  #: the leading VAR=value assignments
    inline: bool  #: from an inline code span (may be usage syntax)


def doc_files(root: str = REPO_ROOT) -> List[str]:
    """The pages whose commands are checked, relative to ``root``."""
    patterns = ['docs/*.md', 'README.md', 'configs/*/README.md',
                'projects/*/README.md']
    files = []
    for pattern in patterns:
        files += sorted(glob.glob(osp.join(root, pattern)))
    return [osp.relpath(f, root).replace(osp.sep, '/') for f in files]


def split_words(text: str) -> List[str]:
    """Shell words of one logical line, operators as separate words."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = '#'
    return list(lexer)


def simple_commands(text: str) -> List[List[str]]:
    """Split a logical line into simple commands at ``&&``, ``|``, ..."""
    commands: List[List[str]] = [[]]
    for word in split_words(text):
        if word in SHELL_OPERATORS:
            commands.append([])
        else:
            commands[-1].append(word)
    return [c for c in commands if c]


def _commands_of(doc: str, line: int, text: str,
                 inline: bool) -> List[Command]:
    found = []
    for words in simple_commands(text):
        env = {}
        while words and ENV_ASSIGNMENT.match(words[0]):
            key, _, value = words.pop(0).partition('=')
            env[key] = value
        if words:
            found.append(Command(doc, line, text, words, env, inline))
    return found


def extract_commands(doc: str, root: str = REPO_ROOT) -> List[Command]:
    """Every simple command of the bash blocks and inline tool spans."""
    with open(osp.join(root, doc), encoding='utf-8') as file:
        content = file.read()
    commands: List[Command] = []
    for block in FENCE.finditer(content):
        first_line = content.count('\n', 0, block.start(1)) + 1
        logical, start = '', None
        for offset, line in enumerate(block.group(1).split('\n')):
            if start is None:
                start = first_line + offset
            if line.rstrip().endswith('\\'):
                logical += line.rstrip()[:-1] + ' '
                continue
            logical += line
            if logical.strip():
                commands += _commands_of(doc, start, logical.strip(), False)
            logical, start = '', None
    for span in INLINE.finditer(content):
        line = content.count('\n', 0, span.start()) + 1
        text = ' '.join(span.group(1).split())
        commands += _commands_of(doc, line, text, True)
    return commands


def is_placeholder(word: str) -> bool:
    """Whether a word holds a placeholder: ``CONFIG``, ``WORK_DIR/x.pth``,
    ``--out=OUT_DIR``, ``configs/<method>/`` (an all-capitals name of at
    least three characters between ``/``, ``=``, ``,`` or ``:``, or a name
    in angle brackets)."""
    if re.search(r'<[^>]+>', word):
        return True
    for part in re.split(r'[/=,:]', word):
        stem = part.split('.')[0]
        if PLACEHOLDER.fullmatch(stem) and stem not in NOT_PLACEHOLDERS:
            return True
    return False


def repo_paths(command: Command) -> List[str]:
    """Words (or ``KEY=VALUE`` values) that name repository paths."""
    paths = []
    for word in command.argv:
        for part in word.split('='):
            part = part[2:] if part.startswith('./') else part
            if part.startswith(REPO_PREFIXES):
                paths.append(part.rstrip(',.:;'))
    return paths


def created_paths(doc: str, root: str = REPO_ROOT) -> List[str]:
    """Files a page tells the reader to create ("Save this as `path`")."""
    with open(osp.join(root, doc), encoding='utf-8') as file:
        return SAVE_AS.findall(' '.join(file.read().split()))


def missing_paths(command: Command, root: str = REPO_ROOT) -> List[str]:
    """The repository paths of ``command`` that do not exist (files that
    its page tells the reader to create are not missing)."""
    created = created_paths(command.doc, root)
    missing = []
    for path in repo_paths(command):
        if is_placeholder(path) or path in created:
            continue
        full = osp.join(root, path)
        exists = glob.glob(full) if any(c in path for c in '*?[') \
            else osp.exists(full)
        if not exists:
            missing.append(path)
    return missing


def python_script(argv: Sequence[str]) -> Optional[int]:
    """Index of the script in ``python [-u ...] SCRIPT ...``, else None."""
    if not argv or osp.basename(argv[0]) not in PYTHONS:
        return None
    for index in range(1, len(argv)):
        word = argv[index]
        if word in ('-m', '-c'):
            return None
        if not word.startswith('-'):
            return index if word.endswith('.py') else None
    return None


def _dist_train(args: List[str]) -> Optional[List[str]]:
    return [args[0]] + args[2:] if len(args) >= 2 else None


def _dist_test(args: List[str]) -> Optional[List[str]]:
    return args[:2] + args[3:] if len(args) >= 3 else None


def _slurm_train(args: List[str]) -> Optional[List[str]]:
    if len(args) < 4:
        return None
    return [args[2], '--work-dir', args[3]] + args[4:]


def _quickstart(args: List[str]) -> Optional[List[str]]:
    return ['--work-dir', args[0]] + args[1:] if args else []


#: shell scripts that pass their arguments on to a Python tool:
#: script -> (tool, how its arguments become the tool's; None = too few)
SCRIPT_TOOLS: Dict[str, tuple] = {
    'tools/dist_train.sh': ('tools/train.py', _dist_train),
    'tools/dist_test.sh': ('tools/test.py', _dist_test),
    'tools/slurm_train.sh': ('tools/train.py', _slurm_train),
    'tools/quickstart.sh': ('tools/analysis_tools/transfer_benchmark.py',
                            _quickstart),
}


def tool_invocation(command: Command) -> Optional[tuple]:
    """``(tool, args)`` when ``command`` runs a Python tool of ``tools/``.

    ``bash tools/dist_train.sh CONFIG N OPTIONS`` counts as
    ``tools/train.py CONFIG OPTIONS`` (and likewise for the other launch
    scripts). Returns None for other commands, and ``(tool, None)`` when a
    launch script gets too few arguments.
    """
    argv = [w for w in command.argv if w not in ('...', '\u2026')]
    index = python_script(argv)
    if index is not None:
        script = argv[index]
        script = script[2:] if script.startswith('./') else script
        if script.startswith('tools/'):
            return script, argv[index + 1:]
        return None
    if argv and argv[0] in ('bash', 'sh') and len(argv) > 1:
        script = argv[1][2:] if argv[1].startswith('./') else argv[1]
        if script in SCRIPT_TOOLS:
            tool, convert = SCRIPT_TOOLS[script]
            return tool, convert(argv[2:])
    return None


def is_usage_syntax(command: Command) -> bool:
    """An inline span written as usage (``[--time] [--cells ...]``)."""
    return command.inline and bool(USAGE_SYNTAX.search(command.text))


# ----------------------------------------------------------------------
# running the quick commands
# ----------------------------------------------------------------------
def _has(option: str) -> Callable[[List[str]], bool]:
    return lambda args: option in args


def _always(args: List[str]) -> bool:
    return True


def _existing_file(args: List[str]) -> bool:
    return bool(args) and osp.isfile(osp.join(REPO_ROOT, args[0]))


#: placeholders that a quick command may stand for (the tiny config)
SUBSTITUTES = {
    'CONFIG': 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'
}

#: quick tools and when a documented call of them is quick
QUICK_TOOLS: Dict[str, Callable[[List[str]], bool]] = {
    'tools/misc/print_config.py': _always,
    'tools/misc/list_modules.py': _always,
    'tools/misc/model_zoo.py': _has('--check'),
    'tools/analysis_tools/model_complexity.py': _has('--params-only'),
    'tools/analysis_tools/print_metrics.py': _existing_file,
}


def plan(command: Command) -> tuple:
    """What to do with one command.

    Returns:
        tuple: ``('run', argv)`` (placeholders of ``SUBSTITUTES`` replaced)
        or ``('skip', reason)``.
    """
    argv = [SUBSTITUTES.get(word, word) for word in command.argv]
    if is_usage_syntax(command):
        return 'skip', 'usage syntax'
    if '--help' in argv or '-h' in argv:
        return 'run', argv
    if osp.basename(argv[0]) in PYTHONS and len(argv) > 2 \
            and argv[1] == '-c':
        return 'run', argv
    invocation = tool_invocation(command._replace(argv=argv))
    if invocation and python_script(argv) is not None:
        tool, args = invocation
        if any(is_placeholder(w) for w in argv):
            return 'skip', 'placeholder'
        if tool in QUICK_TOOLS and QUICK_TOOLS[tool](args):
            return 'run', argv
        return 'skip', ('long-running, writes files, or needs the outputs '
                        'of a run')
    return 'skip', 'not a quick command (install, shell script, ...)'


def run(argv: List[str], env: Dict[str, str], timeout: float) -> tuple:
    """Run a command in the repository root; ``(ok, seconds, output)``."""
    start = time.time()
    full_env = dict(os.environ, OMP_NUM_THREADS='1')
    full_env.update(env)
    if osp.basename(argv[0]) in PYTHONS:
        argv = [sys.executable] + argv[1:]
    try:
        result = subprocess.run(
            argv, cwd=REPO_ROOT, env=full_env, capture_output=True,
            text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, time.time() - start, f'timed out after {timeout} s'
    output = (result.stdout + result.stderr).strip()
    return result.returncode == 0, time.time() - start, output


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Run the quick commands of the documentation (every '
        'tool --help, config printing, module listing, parameter counts).')
    parser.add_argument(
        '--docs',
        nargs='+',
        help='pages to check, relative to the repository root (default: '
        'docs/*.md, README.md, configs/*/README.md, projects/*/README.md)')
    parser.add_argument(
        '--list',
        action='store_true',
        help='only list the commands and whether they would run')
    parser.add_argument(
        '--timeout',
        type=float,
        default=300,
        help='seconds allowed per command (default: 300)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    docs = args.docs or doc_files()
    commands = [c for doc in docs for c in extract_commands(doc)]
    tools = sorted({
        inv[0] for inv in map(tool_invocation, commands) if inv
    })
    jobs = [(f'{tool} --help', ['python', tool, '--help'], {})
            for tool in tools]
    seen = set()
    skipped = []
    for command in commands:
        action, detail = plan(command)
        where = f'{command.doc}:{command.line}'
        if action == 'skip':
            skipped.append((where, ' '.join(command.argv), detail))
            continue
        key = (tuple(detail), tuple(sorted(command.env.items())))
        if key in seen:
            continue
        seen.add(key)
        jobs.append((where, detail, command.env))

    if args.list:
        for where, argv_, env in jobs:
            print(f'run   {where}: {" ".join(argv_)}')
        for where, text, reason in skipped:
            print(f'skip  {where}: {text}  ({reason})')
        return 0

    failures = []
    for where, argv_, env in jobs:
        ok, seconds, output = run(argv_, env, args.timeout)
        print(f'{"ok  " if ok else "FAIL"} {seconds:6.1f} s  {where}: '
              f'{" ".join(argv_)}', flush=True)
        if not ok:
            failures.append((where, argv_, output))
    for where, argv_, output in failures:
        print(f'\n--- FAILED {where}: {" ".join(argv_)}\n{output[-3000:]}')
    print(f'\n{len(jobs) - len(failures)} of {len(jobs)} commands passed, '
          f'{len(failures)} failed, {len(skipped)} skipped (long-running, '
          'placeholders or installs; --list shows them).')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
