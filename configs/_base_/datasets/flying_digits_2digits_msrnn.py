# Two flying digits at the MS-RNN setting: the frames, splits and evaluators
# of flying_digits_2digits.py, trained with batch 4 (MS-RNN's batch size;
# with the schedules/*_msrnn.py schedules).
_base_ = './flying_digits_2digits.py'

train_dataloader = dict(batch_size=4)
