# Two flying digits (built-in digit source, no download) for the CPU-sized
# MS-RNN comparison: the full 10,000 training sequences (a short run sees
# only part of them), 64 validation sequences for choosing the checkpoint and
# 256 test sequences, all 64x64, 10 -> 10 frames. One loader worker: the
# benchmark runs one thread per process.
_base_ = './flying_digits_2digits.py'

train_dataloader = dict(batch_size=4, num_workers=1)
val_dataloader = dict(
    batch_size=8, num_workers=1, dataset=dict(num_sequences=64))
test_dataloader = dict(
    batch_size=8, num_workers=1, dataset=dict(num_sequences=256))
