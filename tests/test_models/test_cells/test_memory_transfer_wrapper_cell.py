"""MemoryTransferWrapper: TMU's distillers and transfer gates on another
cell (TMU Tables 2-3)."""
import pytest
import torch
import torch.nn.functional as F
from tmu_reference import distilled_by_hand, randomize, xh_gate

from stpredict.models.cells.memory_transfer_wrapper import \
    MemoryTransferWrapper
from stpredict.models.cells.mim import MIMCell
from stpredict.models.cells.spatiotemporal_lstm import SpatioTemporalLSTMCell
from stpredict.registry import CELLS, NECKS


def wrapped(cell_type, **kwargs):
    return dict(
        type='MemoryTransferWrapper',
        cell=dict(type=cell_type, kernel_size=3),
        gate_kernel_size=3,
        **kwargs)


def expected_transfer(wrapper, x, h_prev, c_tilde, bank):
    """C_t of Eq. 5 and Eq. 4 around the inner cell's C~, by hand."""
    hid = c_tilde.shape[1]
    w, b = wrapper.transfer_conv.weight, wrapper.transfer_conv.bias
    c_hat = distilled_by_hand(wrapper.distiller, c_tilde)
    c_new = c_tilde
    loss = 0
    for m in range(wrapper.num_sources):
        a_m = torch.sigmoid(
            xh_gate(w, b, slice(m * hid, (m + 1) * hid), x, h_prev))
        c_new = c_new + a_m * c_hat[m] + (1 - a_m) * c_tilde
        loss = loss + ((c_hat[m] - bank[m])**2).sum(dim=(1, 2, 3)).mean()
    return c_new, loss


def test_wrapper_mirrors_the_inner_cell():
    wrapper = CELLS.build(
        dict(wrapped('MIMCell'), in_channels=2, hidden_channels=4))
    assert isinstance(wrapper, MemoryTransferWrapper)
    assert isinstance(wrapper.cell, MIMCell)
    assert wrapper.state_names == ('h', 'c', 'n', 's')
    assert wrapper.output_state == 'h'
    assert wrapper.uses_memory and wrapper.uses_diagonal
    assert wrapper.uses_memory_bank
    assert wrapper.memory_channels == 4 and wrapper.out_channels == 4
    x = torch.randn(2, 2, 6, 6)
    assert {
        k: v.shape
        for k, v in wrapper.init_states(x).items()
    } == {
        k: v.shape
        for k, v in wrapper.cell.init_states(x).items()
    }
    assert wrapper.init_memory(x).shape == (2, 4, 6, 6)
    # the gates of all sources are one convolution on [X, H_{t-1}]
    assert wrapper.transfer_conv.weight.shape == (8, 6, 3, 3)
    st = CELLS.build(
        dict(
            wrapped('SpatioTemporalLSTMCell'),
            in_channels=2,
            hidden_channels=4))
    assert isinstance(st.cell, SpatioTemporalLSTMCell)
    assert st.uses_memory and not st.uses_diagonal


def test_wrapper_validates_its_arguments():
    with pytest.raises(ValueError, match=r"memory_state='m'.*\('h', 'c'\)"):
        MemoryTransferWrapper(
            dict(type='SpatioTemporalLSTMCell'), 2, 4, memory_state='m')
    with pytest.raises(ValueError, match='num_sources >= 1'):
        MemoryTransferWrapper(dict(type='ConvLSTMCell'), 2, 4, num_sources=0)
    with pytest.raises(ValueError, match='already takes a memory bank'):
        MemoryTransferWrapper(dict(type='TMUCell'), 2, 4)
    with pytest.raises(ValueError, match='inner cell ConvLSTMCell sets '
                       'hidden_channels=32, but the wrapper gives it its own '
                       r'hidden_channels \(4\)'):
        MemoryTransferWrapper(
            dict(type='ConvLSTMCell', hidden_channels=32), 2, 4)
    wrapper = MemoryTransferWrapper(dict(type='ConvLSTMCell'), 2, 4)
    x = torch.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match=r'\(1, 4, 3, 3\).*\(1, 4, 6, 6\)'):
        wrapper(
            x,
            wrapper.init_states(x),
            bank=[torch.zeros(1, 4, 6, 6),
                  torch.zeros(1, 4, 3, 3)])


def test_wrapper_on_another_memory_state():
    """Any state can receive the transfer, e.g. MIM-S's stationary memory."""
    torch.manual_seed(0)
    wrapper = MemoryTransferWrapper(
        dict(type='MIMCell', kernel_size=3),
        2,
        4,
        memory_state='s',
        gate_kernel_size=1).double()
    randomize(wrapper)
    x, diagonal = torch.randn(2, 2, 5, 5).double(), torch.randn(2, 2, 5,
                                                                5).double()
    states = {
        k: torch.randn_like(v)
        for k, v in wrapper.init_states(torch.zeros(2, 4, 5,
                                                    5).double()).items()
    }
    bank = [torch.randn(2, 4, 5, 5).double() for _ in range(2)]
    out, _, aux = wrapper(x, states, diagonal=diagonal, bank=bank)
    inner, _, _ = wrapper.cell(x, states, diagonal=diagonal)
    s_ref, loss_ref = expected_transfer(wrapper, x, states['h'], inner['s'],
                                        bank)
    torch.testing.assert_close(out['s'], s_ref)
    torch.testing.assert_close(aux['loss_distill'], loss_ref)
    for name in ('h', 'c', 'n'):
        torch.testing.assert_close(out[name], inner[name])


@pytest.mark.parametrize('neck_type',
                         ['SingleScaleStack', 'MultiScalePyramid'])
def test_wrapper_on_predrnn_and_mim_in_a_neck(neck_type):
    """Layer 0: wrapped ST-LSTM; layer 1: wrapped MIM block (with the
    diagonal input). The pyramid runs layer 1 at half resolution, so its
    memory bank is at that scale."""
    torch.manual_seed(0)
    scales = [1, 1] if neck_type == 'SingleScaleStack' else [1, 2]
    cfg = dict(
        type=neck_type,
        cell=[wrapped('SpatioTemporalLSTMCell'),
              wrapped('MIMCell')],
        in_channels=2,
        hidden_channels=4,
        num_layers=2)
    if neck_type == 'MultiScalePyramid':
        cfg['scales'] = scales
    neck = randomize(NECKS.build(cfg).double())
    x = torch.randn(2, 2, 8, 8).double()
    state = neck.init_state(x)
    # non-zero states at t-1 (the memory is held at the top memory layer's
    # scale between steps)
    state = dict(
        layers=[{
            k: torch.randn_like(v)
            for k, v in layer.items()
        } for layer in state['layers']],
        memory=torch.randn_like(state['memory']))
    banks = [[torch.randn(2, 4, 8 // s, 8 // s).double() for _ in range(2)]
             for s in scales]
    out, new_state, aux = neck(
        x, state, layer_context=[dict(bank=bank) for bank in banks])

    def pool(t, s_from, s_to):
        if s_to > s_from:
            return F.max_pool2d(t, s_to // s_from)
        if s_to < s_from:
            return F.interpolate(
                t,
                scale_factor=s_from // s_to,
                mode='bilinear',
                align_corners=False)
        return t

    prev0, prev1 = state['layers']
    # layer 0: the inner ST-LSTM on the frame, with M from the top at t-1
    w0 = neck.cells[0]
    m_in = pool(state['memory'], scales[1], scales[0])
    inner0, m0, _ = w0.cell(x, prev0, memory=m_in)
    c0, loss0 = expected_transfer(w0, x, prev0['h'], inner0['c'], banks[0])
    new0 = new_state['layers'][0]
    torch.testing.assert_close(new0['h'], inner0['h'])  # the inner H
    torch.testing.assert_close(new0['c'], c0)  # C_t replaces C~
    torch.testing.assert_close(aux[0]['loss_distill'], loss0)
    # layer 1: the inner MIM block on H^0_t, diagonal H^0_{t-1}, M^0_t
    w1 = neck.cells[1]
    x1 = pool(inner0['h'], scales[0], scales[1])
    inner1, m1, _ = w1.cell(
        x1,
        prev1,
        memory=pool(m0, scales[0], scales[1]),
        diagonal=pool(prev0['h'], scales[0], scales[1]))
    c1, loss1 = expected_transfer(w1, x1, prev1['h'], inner1['c'], banks[1])
    new1 = new_state['layers'][1]
    torch.testing.assert_close(new1['h'], inner1['h'])
    torch.testing.assert_close(new1['c'], c1)
    for name in ('n', 's'):
        torch.testing.assert_close(new1[name], inner1[name])
    torch.testing.assert_close(aux[1]['loss_distill'], loss1)
    torch.testing.assert_close(new_state['memory'], m1)
    torch.testing.assert_close(out, pool(inner1['h'], scales[1], 1))
    assert aux[1]['transfer_gates'].shape == (2, )

    # without a context (test time) the neck passes no bank
    _, _, aux = neck(x, state)
    assert all('loss_distill' not in layer for layer in aux)
