"""Print a config as the Runner sees it: after inheritance and overrides.

Every value of the config's ``_base_`` files is merged in, then the
``--cfg-options`` overrides are applied (the same way as in
``tools/train.py``), and the result is printed as Python. The config is
then checked as ``tools/train.py`` checks it (component names and their
keyword arguments, iteration counts, intervals, batch sizes, the learning
rate); problems are printed to stderr and the exit status is 1.

Usage:
    python tools/misc/print_config.py CONFIG [--cfg-options KEY=VALUE ...]
        [--save FILE]

Examples:
    python tools/misc/print_config.py \\
        configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py
    python tools/misc/print_config.py \\
        configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py \\
        --cfg-options model.neck.hidden_channels=16 train_cfg.max_iters=50 \\
        --save work_dirs/resolved_tiny.py
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print a config after inheritance and --cfg-options.',
        epilog='Example: python tools/misc/print_config.py '
        'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py '
        '--cfg-options model.neck.hidden_channels=16')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. '
        'train_cfg.max_iters=1000 model.neck.hidden_channels=16')
    parser.add_argument(
        '--save',
        metavar='FILE',
        help='also write the resolved config to FILE (.py, .json or .yaml)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        print(f'Config file "{args.config}" not found; give the path of a '
              'config, e.g. configs/convlstm/'
              'convlstm_2x32_flying2digits-10to10_tiny.py (run from the '
              'repository root).', file=sys.stderr)
        return 1
    from stpredict.utils import register_all_modules
    from stpredict.utils.config_loading import load_config
    from stpredict.utils.config_values import config_value_problems
    from stpredict.utils.registry_check import (check_component_arguments,
                                                check_registry_names)
    try:
        cfg = load_config(args.config, args.cfg_options)
    except FileNotFoundError as error:  # a missing _base_
        print(error, file=sys.stderr)
        return 1
    print(f'Config (resolved): {args.config}')
    print(cfg.pretty_text)
    if args.save:
        directory = osp.dirname(args.save)
        if directory:
            os.makedirs(directory, exist_ok=True)
        cfg.dump(args.save)
        print(f'Saved the resolved config to "{args.save}".')
    register_all_modules(init_default_scope=False)
    problems = config_value_problems(cfg)
    for check in (check_registry_names, check_component_arguments):
        try:
            check(cfg)
        except (KeyError, TypeError) as error:
            problems.append(str(error))
    if problems:
        print(f'The config {args.config} has problems:', file=sys.stderr)
        for problem in problems:
            print(f'  {problem}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
