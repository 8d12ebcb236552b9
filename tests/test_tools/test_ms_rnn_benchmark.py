"""tools/analysis_tools/ms_rnn_benchmark.py without training anything.

The subprocesses (tools/train.py, tools/test.py) are replaced by a fake that
writes what they would write, so the planning, resuming, model selection and
statistics of the benchmark are checked in a second.
"""
import importlib.util
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location(
        '_ms_rnn_benchmark',
        osp.join(ROOT, 'tools/analysis_tools/ms_rnn_benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_execute(calls):
    """Write a run's checkpoints, logged times and test metrics."""

    def execute(command, log_path, threads):
        assert threads == 1
        calls.append(command)
        work_dir = command[command.index('--work-dir') + 1]
        seed = int(next(o for o in command
                        if o.startswith('randomness.seed='))[-1])
        multi = osp.basename(command[2]).startswith('ms_')
        if command[1] == 'tools/train.py':
            assert command[command.index('--resume') + 1] == 'auto'
            for name in ('best_mse_per_frame_iter_2.pth', 'iter_4.pth'):
                open(osp.join(work_dir, name), 'w').close()
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as file:
                file.write(osp.join(work_dir, 'iter_4.pth'))
            os.makedirs(osp.join(work_dir, '20260101_000000', 'vis_data'))
            with open(osp.join(work_dir, '20260101_000000', 'vis_data',
                               'scalars.json'), 'w') as file:
                for time in (9.0, 1.0, 1.2, 1.1):
                    file.write(json.dumps(dict(time=time, loss=1.0)) + '\n')
            return 10.0
        assert command[1] == 'tools/test.py'
        assert command[3].endswith('best_mse_per_frame_iter_2.pth')
        assert command[-1] == 'test_evaluator.0.per_sequence=True'
        # MS models are better by 10 on every sequence
        per_sequence = [100.0 + i + seed - (10 if multi else 0)
                        for i in range(4)]
        metrics = dict(
            mse_per_frame=sum(per_sequence) / 4, mae_per_frame=200.0,
            ssim=0.8, mse_per_frame_copy_last=300.0,
            mae_per_frame_copy_last=400.0, ssim_copy_last=0.6,
            mse_per_frame_per_sequence=per_sequence)
        with open(command[command.index('--out') + 1], 'w') as file:
            json.dump(metrics, file)
        return 2.0

    return execute


def test_plan_commands_resume_and_statistics(bench, tmp_path, monkeypatch,
                                             capsys):
    calls = []
    monkeypatch.setattr(bench, 'execute', fake_execute(calls))
    argv = ['--seeds', '2', '--jobs', '2', '--iters', '4',
            '--test-sequences', '4', '--no-memory', '--resamples', '200',
            '--work-dir', str(tmp_path)]
    bench.main(argv)
    # 2 pairs x 2 models x 2 seeds, each trained and tested once
    assert len(calls) == 16
    train = next(c for c in calls if c[1] == 'tools/train.py')
    assert 'train_cfg.max_iters=4' in train
    assert 'test_dataloader.dataset.num_sequences=4' in train
    report = (tmp_path / 'results.md').read_text()
    assert '| MS-ConvLSTM | 0 | 91.5 |' in report
    assert '| PredRNN | 1 | 102.5 |' in report
    assert '| ConvLSTM | 102.0 +- 0.7 |' in report
    # median of the logged step times, the warm-up entry left out
    assert '| 1.10 |' in report
    assert '| MS-ConvLSTM - ConvLSTM | -10.0 | [-10.0, -10.0] | 1.000 |' \
        in report
    assert 'copy last observed frame | 300.0' in report

    # a second start skips every finished run
    calls.clear()
    bench.main(argv)
    assert calls == []
    assert 'done before, skipped' in capsys.readouterr().out

    # other settings in the same work dir are refused
    with pytest.raises(SystemExit, match='other settings'):
        bench.main(argv[:-2] + ['--iters', '8', '--work-dir',
                                str(tmp_path)])


def test_runs_longest_first_and_arguments(bench):
    runs = bench.plan_runs(['convlstm', 'predrnn'], [0, 1])
    assert [r.name for r in runs[:2]] == ['PredRNN', 'PredRNN']
    assert runs[-1].name == 'MS-ConvLSTM'
    assert bench.parse_args(['--with-mim']).pairs == [
        'convlstm', 'predrnn', 'mim']
    with pytest.raises(SystemExit):
        bench.parse_args(['--test-sequences', '1'])


@pytest.mark.parametrize('cell', ['convlstm', 'predrnn', 'mim'])
def test_pairs_share_parameters_and_recipe(bench, cell):
    single = Config.fromfile(
        osp.join(ROOT, bench.Run(cell, False, 0).config))
    multi = Config.fromfile(osp.join(ROOT, bench.Run(cell, True, 0).config))
    assert single.model.neck.type == 'SingleScaleStack'
    assert multi.model.neck.type == 'MultiScalePyramid'
    assert multi.model.neck.skip == 'unet'
    assert single.model.neck.num_layers == 6
    assert single.model.neck.hidden_channels == 16
    assert single.model.data_preprocessor.patch_size == 1
    for key in ('train_cfg', 'optim_wrapper', 'train_dataloader'):
        assert single[key] == multi[key]


def test_steps_timed_alone_take_turns(bench, tmp_path, monkeypatch):
    import stpredict.utils.complexity as complexity
    order = []

    class FakeModel:

        def __init__(self, key):
            self.key = key

        def parameters(self):
            return []

    monkeypatch.setattr(
        bench, 'build_model_and_batch',
        lambda cell, multi, threads: (FakeModel((cell, multi)), None))

    def fake_time(model, frames, repeats, warmup, optimizer):
        order.append((model.key, warmup))
        return 0.5 if model.key[1] else 1.5  # multi-scale: 0.5 s

    monkeypatch.setattr(complexity, 'time_training_step', fake_time)
    monkeypatch.setattr('torch.optim.Adam', lambda params, lr: None)
    models = [('convlstm', False), ('convlstm', True)]
    times = bench.time_steps(models, steps=3, threads=1)
    assert times == {('convlstm', False): 1.5, ('convlstm', True): 0.5}
    # one warm-up step each, then the models alternate
    assert [warm for _, warm in order] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert [m for m, _ in order[2:]] == models * 3

    calls = []
    monkeypatch.setattr(bench, 'execute', fake_execute(calls))
    monkeypatch.setattr(bench, 'time_steps',
                        lambda models, steps, threads: {m: 0.25
                                                        for m in models})
    bench.main(['--seeds', '2', '--iters', '4', '--test-sequences', '4',
                '--no-memory', '--resamples', '50', '--time-steps', '2',
                '--work-dir', str(tmp_path)])
    report = (tmp_path / 'results.md').read_text()
    assert 's / step (alone)' in report
    assert '| 1.10 | 0.25 |' in report
