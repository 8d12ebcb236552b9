# Moving MNIST at the MS-RNN setting (MS-RNN Sec. 5.1): the frames, splits
# and evaluators of moving_mnist.py, trained with batch 4 (the authors' batch
# size; with the schedules/*_msrnn.py schedules).
_base_ = './moving_mnist.py'

train_dataloader = dict(batch_size=4)
