import torch

from stpredict.engine.optim_wrappers import CPUAutocastOptimWrapper


def test_forward_runs_in_bfloat16_and_weights_stay_float32():
    model = torch.nn.Conv2d(2, 3, 3)
    wrapper = CPUAutocastOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    x = torch.randn(1, 2, 5, 5)
    with wrapper.optim_context(model):
        y = model(x)
    assert y.dtype == torch.bfloat16
    loss = y.float().square().mean()
    before = model.weight.detach().clone()
    wrapper.update_params(loss)
    assert model.weight.dtype == torch.float32
    assert not torch.equal(before, model.weight)
    # outside the context, float32 again
    assert model(x).dtype == torch.float32


def weight_gradient_of_an_unroll(cache_enabled):
    """A weight used at 9 steps: inputs 2^-8 (8 steps), then 1. Its gradient
    is the sum of the inputs, 1 + 8 * 2^-8 = 1.03125 (exact in float32)."""
    linear = torch.nn.Linear(1, 1, bias=False)
    wrapper = CPUAutocastOptimWrapper(
        optimizer=torch.optim.SGD(linear.parameters(), lr=0.1),
        cache_enabled=cache_enabled)
    inputs = [torch.full((1, 1), 2.0**-8)] * 8 + [torch.ones(1, 1)]
    with wrapper.optim_context(linear):
        outputs = [linear(x) for x in inputs]
    assert all(y.dtype == torch.bfloat16 for y in outputs)
    sum(y.float().sum() for y in outputs).backward()
    return linear.weight.grad.item()


def test_uncached_casts_sum_per_step_gradients_in_float32():
    # cache_enabled=False casts at every use: each step's gradient (exact
    # in bfloat16) reaches the float32 gradient on its own
    assert weight_gradient_of_an_unroll(False) == 1.03125
    # one cached cast (the default) sums in bfloat16 (8 significant bits):
    # 1 + 2^-8 rounds back to 1 at every step
    assert CPUAutocastOptimWrapper(optimizer=torch.optim.SGD(
        torch.nn.Linear(1, 1).parameters(), lr=0.1)).cache_enabled is True
    assert weight_gradient_of_an_unroll(True) == 1.0
