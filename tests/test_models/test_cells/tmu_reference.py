"""TMU's equations written out by hand, shared by the TMU cell's and the
memory transfer wrapper's tests (imported as a sibling module: pytest puts
this folder on ``sys.path``)."""
import torch
import torch.nn.functional as F


def conv(x, weight, bias=None):
    """A 'same' convolution with one weight slice."""
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)


def layer_norm_chw(z, gamma, beta, eps):
    """LayerNorm over (C, H, W) written out, with a per-channel affine (the
    affine of GroupNorm(1, C))."""
    mean = z.mean(dim=(1, 2, 3), keepdim=True)
    var = ((z - mean)**2).mean(dim=(1, 2, 3), keepdim=True)
    return (z - mean) / torch.sqrt(var + eps) * gamma.view(1, -1, 1, 1) + \
        beta.view(1, -1, 1, 1)


def distilled_by_hand(distiller, c_tilde):
    """Eq. 3 with one 1x1 convolution per source and a hand-written norm."""
    hid = c_tilde.shape[1]
    out = []
    for m, norm in enumerate(distiller.norms):
        w_m = distiller.conv.weight[m * hid:(m + 1) * hid]
        out.append(
            layer_norm_chw(
                F.conv2d(c_tilde, w_m), norm.weight, norm.bias, norm.eps))
    return out


def xh_gate(weight, bias, rows, x, h):
    """W_x * X + W_h * H + b for the output rows ``rows`` of a fused kernel,
    as two separate convolutions."""
    cin = x.shape[1]
    return conv(x, weight[rows, :cin]) + conv(h, weight[rows, cin:]) + \
        bias[rows].view(1, -1, 1, 1)


def randomize(module, std=0.3):
    with torch.no_grad():
        for param in module.parameters():
            param.normal_(0, std)
    return module
