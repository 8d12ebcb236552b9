"""tools/analysis_tools/print_metrics.py: one file, several files, and the
errors for files that are not test metrics."""
import importlib.util
import json
import os.path as osp

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'print_metrics.py')

spec = importlib.util.spec_from_file_location('print_metrics', TOOL)
print_metrics = importlib.util.module_from_spec(spec)
spec.loader.exec_module(print_metrics)


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(
        content))
    return str(path)


def rows(output):
    lines = output.strip().splitlines()
    return [[cell.strip() for cell in line.split('|')] for line in lines[2:]]


def test_one_file_next_to_its_baseline(tmp_path, capsys):
    path = write(tmp_path / 'test.json', {
        'mse_per_frame': 190.5, 'mse_per_frame_copy_last': 323.9,
        'mse_per_frame_curve': [180.0, 201.0], 'ssim': 0.5,
        'ssim_copy_last': 0.6, 'psnr': 14.0})
    assert print_metrics.main([path]) == 0
    assert rows(capsys.readouterr().out) == [
        ['mse_per_frame', '190.5000', '323.9000', 'yes'],
        ['ssim', '0.5000', '0.6000', 'NO'],
        ['psnr', '14.0000', '-', '-'],
    ]


def test_several_files_in_one_table(tmp_path, capsys):
    first = write(tmp_path / 'run1' / 'test.json', {
        'mse_per_frame': 190.5, 'mse_per_frame_copy_last': 323.9,
        'ssim': 0.5, 'far_20dbz': 0.2})
    # metrics under 'metrics', beside a description of the run
    second = write(tmp_path / 'run2' / 'test.json', {
        'config': 'configs/x.py', 'metrics': {
            'mse_per_frame': 180.25, 'ssim': 0.5, 'far_20dbz': 0.3,
            'psnr': 14.0}})
    assert print_metrics.main([first, second]) == 0
    output = capsys.readouterr().out
    assert output.splitlines()[0].split() == [
        'metric', '|', 'run1/test.json', '|', 'run2/test.json', '|', 'best']
    assert rows(output) == [
        ['mse_per_frame', '190.5000', '180.2500', 'run2/test.json'],
        ['mse_per_frame_copy_last', '323.9000', '-', '-'],
        ['ssim', '0.5000', '0.5000', '(tie)'],
        ['far_20dbz', '0.2000', '0.3000', 'run1/test.json'],  # lower wins
        ['psnr', '-', '14.0000', '-'],
    ]
    assert print_metrics.main([first, second, '--labels', 'A', 'B']) == 0
    assert rows(capsys.readouterr().out)[0][-1] == 'B'


@pytest.mark.parametrize('content,message', [
    ('{"loss": 1.0, "iter": 1, "step": 1}\n{"mse_per_frame": 2.0, "step": 1}'
     '\n', 'is a JSON-lines log (2 record(s)'),
    ('{"loss": 1.0, "iter": 1, "step": 1}\n', 'is a JSON-lines log (1 record'),
    ('{"mse_per_frame": 1.0,\n', 'is not valid JSON (Expecting property '
     'name enclosed in double quotes at line 2 column 1)'),
    ('[1, 2]', 'holds no metrics'),
    ('{"config": "x.py"}', 'holds no metrics'),
])
def test_files_that_are_not_test_metrics(tmp_path, capsys, content,
                                         message):
    path = write(tmp_path / 'scalars.json', content)
    assert print_metrics.main([path]) == 1
    error = capsys.readouterr().err
    assert message in error
    assert 'tools/test.py CONFIG CHECKPOINT --out' in error
    assert 'Traceback' not in error


def test_missing_file(tmp_path, capsys):
    assert print_metrics.main([str(tmp_path / 'missing.json')]) == 1
    assert 'missing.json does not exist' in capsys.readouterr().err
