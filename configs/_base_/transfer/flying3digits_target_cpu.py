# The target task of the CPU reproduction of TMU Table 1
# (tools/analysis_tools/transfer_benchmark.py --preset table1-cpu): three
# flying digits with scarce training data (128 sequences: at a CPU budget of
# a few hundred iterations, scarce target data is where knowledge from the
# sources can show), the tiny 2 x 32 ConvLSTM budget, 300 iterations, the
# best validation checkpoint (64 val sequences) is tested on 256 test
# sequences. The sources (1000 iterations on one and on two digits) ship in
# checkpoints/tmu_cpu/ (see checkpoints/tmu_cpu/README.md).
_base_ = '../../convlstm/convlstm_2x32_flying2digits-10to10_tiny.py'

train_dataloader = dict(dataset=dict(num_digits=3, num_sequences=128))
val_dataloader = dict(dataset=dict(num_digits=3))
test_dataloader = dict(dataset=dict(num_digits=3))

train_cfg = dict(max_iters=300, val_interval=50)
custom_hooks = [
    # eta falls from 1 to 0 over the first half of the run
    dict(type='ScheduledSamplingHook', schedule='linear', end_iter=150),
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=50, max_keep_ckpts=1))

source_1digit = dict(
    name='1digit',
    config='configs/convlstm/convlstm_2x32_flying1digit-10to10_cpu.py',
    checkpoint='checkpoints/tmu_cpu/convlstm_2x32_flying1digit-10to10_cpu.pth')
source_2digits = dict(
    name='2digits',
    config='configs/convlstm/convlstm_2x32_flying2digits-10to10_cpu.py',
    checkpoint='checkpoints/tmu_cpu/'
    'convlstm_2x32_flying2digits-10to10_cpu.pth')
# the target's TMU layers (TMU Table 1 arms), 3x3 like the ConvLSTM
tmu_cell = dict(
    _delete_=True,
    type='TMUCell',
    kernel_size=3,
    gate_kernel_size=3,
    num_sources=2,
    peephole=True)
# the same with one source (memory transfer from one source model)
tmu_cell_one_source = dict(tmu_cell, num_sources=1)
