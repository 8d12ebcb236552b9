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
