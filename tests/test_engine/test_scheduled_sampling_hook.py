import math
from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub

from stpredict.engine.hooks import (ScheduledSamplingHook, linear_sampling_eta,
                                    reverse_sampling_etas)


def test_linear_schedule_matches_predrnn_defaults():
    # 1.0 minus 2e-5 per iteration, 0 after 50k
    for it in (0, 1, 100, 25000, 49999):
        assert linear_sampling_eta(it, 1.0, 50000) == pytest.approx(
            1.0 - 2e-5 * it)
    assert linear_sampling_eta(50000, 1.0, 50000) == 0.0
    assert linear_sampling_eta(80000, 1.0, 50000) == 0.0


def test_reverse_schedule_matches_predrnn_v2():
    assert reverse_sampling_etas(0, 25000, 50000, 5000) == (0.5, 0.5)
    assert reverse_sampling_etas(24999, 25000, 50000, 5000) == (0.5, 0.5)
    eta, r_eta = reverse_sampling_etas(30000, 25000, 50000, 5000)
    assert eta == pytest.approx(0.5 - 0.5 * 5000 / 25000)
    assert r_eta == pytest.approx(1 - 0.5 * math.exp(-1))
    assert reverse_sampling_etas(50000, 25000, 50000, 5000) == (0.0, 1.0)


class FakeModel:
    sampling_eta = -1.0
    reverse_sampling_eta = -1.0


def fake_runner(iteration, max_iters=100):
    hub = MessageHub.get_instance(f'ss-hook-test-{iteration}-{max_iters}')
    return SimpleNamespace(model=FakeModel(), iter=iteration,
                           max_iters=max_iters, message_hub=hub)


def test_hook_sets_and_logs_the_value_of_the_current_iteration():
    hook = ScheduledSamplingHook(end_iter=None)  # over the whole run
    runner = fake_runner(25, max_iters=100)
    hook.before_train_iter(runner, 0)
    assert runner.model.sampling_eta == pytest.approx(0.75)
    assert runner.model.reverse_sampling_eta == 1.0
    logged = runner.message_hub.get_scalar('train/sampling_eta').current()
    assert logged == pytest.approx(0.75)
    # a resumed run at the same iteration gets the same value
    resumed = fake_runner(25, max_iters=100)
    ScheduledSamplingHook(end_iter=None).before_train_iter(resumed, 0)
    assert resumed.model.sampling_eta == runner.model.sampling_eta


def test_reverse_hook_defaults_to_the_middle_of_end_iter():
    hook = ScheduledSamplingHook(schedule='reverse', end_iter=100,
                                 start_iter=None, exp_alpha=10)
    assert hook.etas_at(49) == (0.5, 0.5)
    eta, r_eta = hook.etas_at(60)
    assert eta == pytest.approx(0.5 * (1 - 10 / 50))
    assert r_eta == pytest.approx(1 - 0.5 * math.exp(-1))
    runner = fake_runner(60)
    hook.before_train_iter(runner, 0)
    assert runner.message_hub.get_scalar(
        'train/reverse_sampling_eta').current() == pytest.approx(r_eta)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='schedule must be one of'):
        ScheduledSamplingHook(schedule='cosine')
    with pytest.raises(ValueError, match='start_iter < end_iter'):
        ScheduledSamplingHook(schedule='reverse', start_iter=10, end_iter=5)
    with pytest.raises(TypeError, match='scheduled sampling'):
        runner = fake_runner(0)
        runner.model = object()
        ScheduledSamplingHook().before_train_iter(runner, 0)
