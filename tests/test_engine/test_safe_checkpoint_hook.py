"""SafeCheckpointHook: best checkpoints replaced atomically, best scores
restored from the work dir's record on resume."""
import json
import os
from types import SimpleNamespace

import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import MessageHub, MMLogger

from stpredict.engine.hooks import SafeCheckpointHook
from stpredict.engine.hooks.safe_checkpoint_hook import BEST_RECORD
from stpredict.utils.atomic_io import AtomicLocalBackend, checksum_path


def write_checkpoint(path):
    import io
    buffer = io.BytesIO()
    torch.save(dict(meta=dict(iter=1)), buffer)
    AtomicLocalBackend().put(buffer.getvalue(), str(path))


def runner_for(tmp_path, hub_name, **info):
    hub = MessageHub.get_instance(hub_name)
    for key, value in info.items():
        hub.update_info(key, value)
    return SimpleNamespace(work_dir=str(tmp_path), message_hub=hub,
                           logger=MMLogger.get_instance('safe_ckpt_test'))


def hook_for(tmp_path, save_best='mse', rule='less'):
    hook = SafeCheckpointHook(interval=2, by_epoch=False,
                              save_best=save_best, rule=rule)
    hook.out_dir = str(tmp_path)
    return hook


def record(tmp_path, **entry):
    (tmp_path / BEST_RECORD).write_text(json.dumps(dict(mse=entry)))


def test_record_wins_over_the_resumed_checkpoint(tmp_path):
    # the resumed iter_6.pth was written before the validation that found
    # best_mse_iter_6.pth, so it still holds the older score
    write_checkpoint(tmp_path / 'best_mse_iter_6.pth')
    record(tmp_path, checkpoint='best_mse_iter_6.pth', score=1.5,
           rule='less', previous=None, previous_score=None)
    runner = runner_for(tmp_path, 'best_a', best_score=2.0,
                        best_ckpt=str(tmp_path / 'best_mse_iter_2.pth'))
    hook = hook_for(tmp_path)
    hook.before_train(runner)
    assert runner.message_hub.get_info('best_score') == 1.5
    assert hook.best_ckpt_path == str(tmp_path / 'best_mse_iter_6.pth')


def test_killed_after_writing_the_new_best(tmp_path):
    for step in (2, 6):
        write_checkpoint(tmp_path / f'best_mse_iter_{step}.pth')
    record(tmp_path, checkpoint='best_mse_iter_6.pth', score=1.5,
           rule='less', previous='best_mse_iter_2.pth', previous_score=2.0)
    runner = runner_for(tmp_path, 'best_b')
    hook_for(tmp_path).before_train(runner)
    assert runner.message_hub.get_info('best_score') == 1.5
    # the replaced best and its checksum are gone
    assert not (tmp_path / 'best_mse_iter_2.pth').exists()
    assert not (tmp_path / 'best_mse_iter_2.pth.sha256').exists()
    saved = json.loads((tmp_path / BEST_RECORD).read_text())['mse']
    assert saved['previous'] is None


def test_killed_while_writing_the_new_best(tmp_path):
    write_checkpoint(tmp_path / 'best_mse_iter_2.pth')
    (tmp_path / '.best_mse_iter_6.pth.tmp-99999999').write_bytes(b'half')
    record(tmp_path, checkpoint='best_mse_iter_6.pth', score=1.5,
           rule='less', previous='best_mse_iter_2.pth', previous_score=2.0)
    runner = runner_for(tmp_path, 'best_c')
    hook = hook_for(tmp_path)
    hook.before_train(runner)
    # the old best stays the best, with its own score
    assert runner.message_hub.get_info('best_score') == 2.0
    assert hook.best_ckpt_path == str(tmp_path / 'best_mse_iter_2.pth')
    assert (tmp_path / 'best_mse_iter_2.pth').exists()
    assert checksum_path(tmp_path / 'best_mse_iter_2.pth')


def test_auto_key_is_restored(tmp_path):
    write_checkpoint(tmp_path / 'best_psnr_iter_4.pth')
    (tmp_path / BEST_RECORD).write_text(json.dumps(dict(psnr=dict(
        checkpoint='best_psnr_iter_4.pth', score=20.0, rule='greater',
        previous=None, previous_score=None))))
    runner = runner_for(tmp_path, 'best_d')
    hook = hook_for(tmp_path, save_best='auto', rule=None)
    hook.before_train(runner)
    assert hook.key_indicators == ['psnr']
    assert runner.message_hub.get_info('best_score') == 20.0
    assert hook.is_better_than['psnr'](21.0, 20.0)


def test_no_record_keeps_mmengine_behaviour(tmp_path):
    runner = runner_for(tmp_path, 'best_e', best_score=3.0)
    hook = hook_for(tmp_path)
    hook.file_backend = get_file_backend(str(tmp_path))
    hook.before_train(runner)
    assert runner.message_hub.get_info('best_score') == 3.0


def test_checkpoints_beyond_max_keep_left_by_a_kill_are_removed(tmp_path):
    # killed after writing iter_6.pth, before retiring iter_2.pth: the
    # resumed message hub keeps [4, 6]
    for step in (2, 4, 6):
        write_checkpoint(tmp_path / f'iter_{step}.pth')
    runner = runner_for(tmp_path, 'best_f', keep_ckpt_ids=[4, 6])
    hook = SafeCheckpointHook(interval=2, by_epoch=False, max_keep_ckpts=2)
    hook.out_dir = str(tmp_path)
    hook.before_train(runner)
    assert sorted(os.listdir(tmp_path)) == [
        'iter_4.pth', 'iter_4.pth.sha256', 'iter_6.pth', 'iter_6.pth.sha256'
    ]


def test_validation_outside_training_saves_nothing(tmp_path):
    # runner.val() on its own: before_train never ran, so there is no
    # output folder and no training state; the hook must not fail
    runner = runner_for(tmp_path, 'best_val_only')
    runner.iter, runner.epoch = 0, 0
    hook = SafeCheckpointHook(interval=2, by_epoch=False,
                              save_best='mse', rule='less')
    hook.after_val_epoch(runner, dict(mse=1.0))
    assert os.listdir(tmp_path) == []
    assert runner.message_hub.get_info('best_score') is None
