from stpredict.testing import train_briefly

CONFIG = 'configs/convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'


def test_train_briefly_runs_a_config(tmp_path):
    runner = train_briefly(CONFIG, str(tmp_path), iterations=2,
                           cfg_options={'model.neck.hidden_channels': 4})
    assert runner.iter == 2
    assert (tmp_path / 'iter_2.pth').exists()
    assert runner.model.neck.hidden_channels == [4, 4]
