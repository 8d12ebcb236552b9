"""The transfer benchmark's summary: seeds, spreads and paired intervals."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location(
        'transfer_benchmark',
        ROOT / 'tools/analysis_tools/transfer_benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_run(method, seed, offset, rng):
    per_sequence = 100 + offset + rng.normal(0, 1, size=8)
    return dict(method=method, seed=seed, train_time=10.0 + seed,
                metrics=dict(mse_per_frame=float(per_sequence.mean()),
                             mse_per_frame_per_sequence=list(per_sequence),
                             mae_per_frame=1.0, ssim=0.5, psnr=10.0,
                             mse_per_frame_copy_last=300.0,
                             mae_per_frame_copy_last=3.0,
                             ssim_copy_last=0.4, psnr_copy_last=8.0))


def test_every_preset_arm_has_a_config(bench):
    for preset in bench.PRESETS.values():
        for method in preset['methods']:
            assert (ROOT / bench.METHODS[method][1]).is_file()
    for config in bench.SOURCES.values():
        assert (ROOT / config).is_file()


def test_summary_reports_spread_and_paired_intervals(bench, tmp_path,
                                                     monkeypatch):
    monkeypatch.setattr(bench, 'count_parameters', lambda config: 130_000)
    args = bench.parse_args_from(
        ['--methods', 'scratch', 'finetune', 'tmu', '--seeds', '0', '1',
         '--work-dir', str(tmp_path)])
    benchmark = bench.Benchmark(args)
    benchmark.source_results = {
        'x': dict(mse_per_frame=1.0, ssim=0.9, mse_per_frame_copy_last=2.0)}
    rng = np.random.default_rng(0)
    offsets = dict(scratch=0.0, finetune=-10.0, tmu=-5.0)
    by_arm = {m: {s: fake_run(m, s, offsets[m], rng) for s in (0, 1)}
              for m in offsets}
    text = benchmark.summarise(by_arm, 60.0)
    rows = {}
    for line in text.splitlines():  # the first table: metrics per method
        if line.startswith('| '):
            rows.setdefault(line.split(' | ')[0].strip('| '), line)
    mse = [by_arm['tmu'][s]['metrics']['mse_per_frame'] for s in (0, 1)]
    assert f'{np.mean(mse):.1f} +- {np.std(mse, ddof=1):.1f}' in rows[
        'memory transfer (1 + 2 digits)']
    assert 'copy last observed frame' in rows
    # against scratch: finetune about -10, tmu about -5, intervals below 0
    assert 'against ConvLSTM, from scratch' in text
    assert 'against finetune (2 digits)' in text
    lines = [line for line in text.splitlines()
             if line.startswith('| finetune (2 digits) | -')]
    assert lines and '[-1' in lines[0]
