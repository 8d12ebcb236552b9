"""The short result table of tools/test.py."""
import pytest

from stpredict.evaluation import (format_number, format_result_table,
                                  pick_lead_times)


@pytest.mark.parametrize('value, text', [
    (190.62, '190.6'), (0.72311, '0.7231'), (0.047, '0.04700'),
    (12345.6, '12346'), (0.0, '0'), (-3.14159, '-3.142'),
    (float('inf'), 'inf')])
def test_format_number(value, text):
    assert format_number(value) == text


def test_pick_lead_times():
    assert pick_lead_times(10) == [1, 6, 10]
    assert pick_lead_times(20, 4) == [1, 7, 14, 20]
    assert pick_lead_times(2) == [1, 2]


def cells(table):
    lines = table.splitlines()
    return [[cell.strip() for cell in line.split('|')] for line in lines]


def test_table_model_and_baselines_side_by_side():
    metrics = {
        'mse_per_frame': 190.0, 'mse_per_frame_curve': [100.0, 200.0, 270.0],
        'mse_per_frame_zeros': 221.3,
        'mse_per_frame_zeros_curve': [221.0, 221.0, 222.0],
        'mse_per_frame_copy_last': 323.9,
        'ssim': 0.7, 'ssim_curve': [0.8, 0.7, 0.6], 'ssim_zeros': 0.72,
        'ssim_zeros_curve': [0.72, 0.72, 0.72],
        'mse_per_frame_per_sequence': [1.0, 2.0],
    }
    table = format_result_table(metrics, ['copy_last', 'zeros'],
                                num_lead_times=2, lead_time_step=6,
                                lead_time_unit='min')
    rows = cells(table)
    assert rows[0] == ['metric', 'forecast', 'mean', '+6 min', '+18 min']
    assert rows[2] == ['mse_per_frame', 'model', '190.0 *', '100.0',
                       '270.0']
    assert rows[3] == ['', 'copy_last', '323.9', '', '']  # no curve
    assert rows[4] == ['', 'zeros', '221.3', '221.0', '222.0']
    # higher SSIM is better: the zeros forecast gets the star
    assert rows[5][:3] == ['ssim', 'model', '0.7000']
    assert rows[6][:3] == ['', 'zeros', '0.7200 *']
    assert len(rows) == 8 and 'min ahead' in table
