# Moving MNIST: train on two flying MNIST digits generated on the fly from
# MNIST's training images; validate on generated sequences of the 'val'
# split (disjoint digit images), never on the test set; test on the fixed
# standard test set mnist_test_seq.npy (10,000 sequences of 20 frames).
#
# Expected files:
#   data/moving_mnist/train-images-idx3-ubyte.gz
#   data/moving_mnist/mnist_test_seq.npy
_base_ = './flying_digits_2digits.py'

data_root = 'data/moving_mnist'
mnist_file = data_root + '/train-images-idx3-ubyte.gz'

train_dataloader = dict(dataset=dict(mnist_file=mnist_file))
val_dataloader = dict(dataset=dict(mnist_file=mnist_file))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MovingMNIST',
        data_root=data_root,
        input_frames=10,
        output_frames=10,
        pipeline=[dict(type='PackSequenceInputs')]),
)
