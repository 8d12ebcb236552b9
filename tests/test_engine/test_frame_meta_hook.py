"""FrameMetaHook: the training frames' size and channels in checkpoints."""
import torch

from stpredict.engine.hooks import FrameMetaHook, frames_meta_of_batch


def test_frames_of_a_batch_list_or_tensor():
    frames = [torch.zeros(20, 3, 48, 32, dtype=torch.uint8)] * 2
    expected = dict(height=48, width=32, channels=3)
    assert frames_meta_of_batch(dict(inputs=frames)) == expected
    assert frames_meta_of_batch(dict(inputs=torch.stack(frames))) == expected
    assert frames_meta_of_batch(dict(inputs=[])) is None
    assert frames_meta_of_batch(None) is None


def test_first_batch_goes_into_every_saved_checkpoint():
    hook = FrameMetaHook()
    checkpoint = dict(meta=dict(iter=1))
    hook.before_save_checkpoint(None, checkpoint)  # nothing seen yet
    assert 'frames' not in checkpoint['meta']
    first = dict(inputs=[torch.zeros(4, 1, 16, 24)])
    hook.after_train_iter(None, 0, first)
    hook.after_train_iter(None, 1, dict(inputs=[torch.zeros(4, 2, 8, 8)]))
    hook.before_save_checkpoint(None, checkpoint)
    assert checkpoint['meta'] == dict(
        iter=1, frames=dict(height=16, width=24, channels=1))
    bare = {}
    hook.before_save_checkpoint(None, bare)
    assert bare['meta']['frames']['width'] == 24
