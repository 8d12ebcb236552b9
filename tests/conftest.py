"""Settings shared by every test."""
import torch

# The tests run many tiny convolutions: one thread is as fast as two for
# them and avoids oversubscription when the machine is busy.
torch.set_num_threads(1)
