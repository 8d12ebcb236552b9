"""Config values, missing _base_ files and mistyped keyword arguments fail
before anything is built, naming the key and the fix.

They used to run silently (``max_iters=-5``: 0 iterations, rc 0;
``checkpoint.interval=0``: no checkpoint) or fail raw and late
(``val_interval=0``: ZeroDivisionError after iteration 1; a typo in a
component's keyword: TypeError from its constructor).
"""
import pytest
from mmengine.config import Config
from tool_runner import FAST_OPTIONS, PYTHON, TINY_CONFIG, run_tool

from stpredict.apis.config_check import check_config
from stpredict.utils import register_all_modules
from stpredict.utils.config_loading import load_config
from stpredict.utils.registry_check import (UnknownArgumentError,
                                            accepted_arguments,
                                            check_component_arguments)


def tiny(**options):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(TINY_CONFIG)
    cfg.merge_from_dict(options)
    return cfg


@pytest.mark.parametrize('key, value, expected', [
    ('train_cfg.max_iters', -5, 'the number of training iterations must '
     'be an integer >= 1'),
    ('train_cfg.max_iters', 'abc', "train_cfg.max_iters='abc'"),
    ('train_cfg.max_iters', 2.5, 'must be an integer >= 1'),
    ('train_cfg.val_interval', 0, 'the validation interval'),
    ('default_hooks.checkpoint.interval', 0, 'must be an integer >= 1 (or '
     '-1: no periodic checkpoints)'),
    ('default_hooks.logger.interval', 0, 'the logging interval'),
    ('train_dataloader.batch_size', 0, 'train_dataloader.batch_size=0: the '
     'batch size must be an integer >= 1'),
    ('val_dataloader.num_workers', -1, 'the number of data loading'),
    ('optim_wrapper.optimizer.lr', 'fast', "optim_wrapper.optimizer.lr="
     "'fast': the learning rate must be a positive finite number"),
    ('optim_wrapper.optimizer.lr', -1e-3, 'positive finite'),
    ('optim_wrapper.optimizer.lr', float('inf'), 'positive finite'),
])
def test_bad_values(key, value, expected):
    with pytest.raises(ValueError) as info:
        check_config(tiny(**{key: value}))
    message = str(info.value)
    assert expected in message
    assert f'--cfg-options {key}=' in message


def test_values_that_are_fine():
    check_config(tiny(**{'default_hooks.checkpoint.interval': -1,
                         'optim_wrapper.optimizer.lr': 1}))
    # a test run does not care about the training schedule
    check_config(tiny(**{'train_cfg.max_iters': 0}), training=False)


def test_every_bad_value_is_listed():
    with pytest.raises(ValueError) as info:
        check_config(tiny(**{'train_cfg.max_iters': 0,
                             'optim_wrapper.optimizer.lr': 0}))
    assert 'max_iters=0' in str(info.value) and 'lr=0' in str(info.value)


def test_missing_base_names_the_including_file(tmp_path):
    (tmp_path / 'parent.py').write_text("_base_ = ['./missing_model.py']\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = './parent.py'\nx = 1\n")
    with pytest.raises(FileNotFoundError) as info:
        load_config(str(child))
    message = str(info.value)
    assert "parent.py includes _base_ './missing_model.py'" in message
    assert 'missing_model.py' in message and 'relative to the including' \
        in message


def test_unknown_keyword_argument_with_did_you_mean():
    with pytest.raises(UnknownArgumentError) as info:
        check_config(tiny(**{'model.neck.hiden_channels': 16}))
    message = str(info.value)
    assert message.startswith('model.neck.hiden_channels=16: '
                              "SingleScaleStack has no argument "
                              "'hiden_channels'. Did you mean "
                              "'hidden_channels'")
    for key, name in (('model.neck.cell.kernal_size', 'kernel_size'),
                      ('train_dataloader.dataset.num_sequence',
                       'num_sequences'),
                      ('model.loss.reductoin', 'reduction')):
        with pytest.raises(UnknownArgumentError, match=f"'{name}'"):
            check_component_arguments(tiny(**{key: 3}))


def test_arguments_forwarded_to_a_base_class_are_accepted():
    from stpredict.datasets import FlyingDigits
    accepted = accepted_arguments(FlyingDigits)
    # its **kwargs go to mmengine's BaseDataset
    assert {'num_sequences', 'serialize_data', 'lazy_init'} <= accepted
    check_component_arguments(tiny(**{
        'train_dataloader.dataset.serialize_data': False,
        'default_hooks.logger.priority': 'BELOW_NORMAL',
    }))


def test_print_config_reports_the_problems():
    code, output = run_tool(
        PYTHON, 'tools/misc/print_config.py', TINY_CONFIG, '--cfg-options',
        'model.neck.hiden_channels=16', 'train_cfg.max_iters=abc',
        check=False)
    assert code == 1
    assert 'Config (resolved)' in output  # still printed
    assert "Did you mean 'hidden_channels'" in output
    assert "train_cfg.max_iters='abc'" in output


def test_train_tool_fails_before_building(tmp_path):
    code, output = run_tool(
        PYTHON, 'tools/train.py', TINY_CONFIG, '--work-dir', str(tmp_path),
        '--cfg-options', *FAST_OPTIONS, 'train_cfg.val_interval=0',
        check=False)
    assert code != 0
    assert 'train_cfg.val_interval=0: the validation interval' in output
    assert 'Iter(train)' not in output and 'ZeroDivisionError' not in output
