"""ONNX export: onnxruntime forecasts what PyTorch forecasts.

Tiny models of the ConvLSTM and PredRNN families, single-scale and in the
MS-RNN pyramid, with random weights that make the recurrent states move;
onnxruntime's forecast must equal :func:`stpredict.apis.forecast` (the
model's ``predict``) to 1e-5 for batches of 1 and 3.
"""
import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config

from stpredict.apis import forecast, init_forecaster
from stpredict.apis.onnx_export import (OnnxExportError, export_onnx,
                                        onnx_forecast, onnx_session)

onnx = pytest.importorskip(
    'onnx', reason='ONNX export tests need onnx (pip install onnx '
    'onnxruntime, or pip install -e ".[tests]")')
pytest.importorskip(
    'onnxruntime', reason='ONNX export tests need onnxruntime (pip install '
    'onnxruntime, or pip install -e ".[tests]")')

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOLERANCE = 1e-5
SIZE = 16


def tiny_model(cell: str, neck: str, patch_size: int = 1, seed: int = 0):
    """3 -> 3 frames of 16 x 16, 8 channels, random weights whose states
    move (initial weights plus noise of std 0.2; head bias 0.5 so that the
    predicted pixels are inside [0, 1], not at the clip)."""
    layers = 3 if neck == 'MultiScalePyramid' else 2
    cfg = Config(dict(model=dict(
        type='RecurrentPredictor', input_frames=3, output_frames=3,
        data_preprocessor=dict(type='SequenceDataPreprocessor',
                               patch_size=patch_size),
        stem=dict(type='Conv2d', out_channels=8, kernel_size=1),
        neck=dict(type=neck, cell=dict(type=cell, kernel_size=3),
                  num_layers=layers, hidden_channels=8),
        head=dict(type='Conv2d', kernel_size=1))))
    with pytest.warns(UserWarning, match='no checkpoint given'), \
            torch.random.fork_rng():
        torch.manual_seed(seed)  # the initial weights
        model = init_forecaster(cfg, None)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(
                0.2 * torch.randn(parameter.shape, generator=generator))
        model.head.bias.fill_(0.5)
    return model


@pytest.mark.parametrize('cell, neck, patch_size', [
    ('ConvLSTMCell', 'SingleScaleStack', 2),
    ('ConvLSTMCell', 'MultiScalePyramid', 1),
    ('SpatioTemporalLSTMCell', 'SingleScaleStack', 1),
    ('SpatioTemporalLSTMCell', 'MultiScalePyramid', 2),
])
def test_onnxruntime_forecast_equals_pytorch(tmp_path, cell, neck,
                                             patch_size):
    model = tiny_model(cell, neck, patch_size)
    out = str(tmp_path / 'model.onnx')
    info = export_onnx(model, out, frame_size=(SIZE, SIZE))
    assert info['input_shape'] == ('B', 3, 1, SIZE, SIZE)
    assert info['output_shape'] == ('B', 3, 1, SIZE, SIZE)
    meta = {p.key: p.value for p in onnx.load(out).metadata_props}
    assert meta['input_frames'] == '3' and meta['output_frames'] == '3'
    assert meta['patch_size'] == str(patch_size)
    assert meta['neck'] == neck and cell in meta['cells']
    session = onnx_session(out, threads=1)
    rng = np.random.default_rng(1)
    for batch in (1, 3):  # the batch axis is dynamic
        frames = rng.random((batch, 3, 1, SIZE, SIZE), dtype=np.float32)
        expected = forecast(model, frames, layout='BTCHW')
        got = onnx_forecast(session, frames)
        assert got.shape == expected.shape == (batch, 3, 1, SIZE, SIZE)
        # a forecast that moves and is not clipped everywhere
        assert expected.std() > 0.01
        assert ((expected > 0) & (expected < 1)).mean() > 0.5
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE)
    # uint8 frames: divided by 255 as the data preprocessor does
    frames = rng.integers(0, 256, (2, 3, 1, SIZE, SIZE), dtype=np.uint8)
    np.testing.assert_allclose(
        onnx_forecast(session, frames),
        forecast(model, frames.astype(np.float32) / 255, layout='BTCHW'),
        rtol=0, atol=TOLERANCE)


def test_an_unexportable_cell_is_refused_with_the_reason(tmp_path):
    model = tiny_model('MoDeRNNCell', 'SingleScaleStack')
    with pytest.raises(OnnxExportError) as error:
        export_onnx(model, str(tmp_path / 'm.onnx'), frame_size=(SIZE, SIZE))
    message = str(error.value)
    assert 'Layer 0 is a MoDeRNNCell' in message
    assert 'kernel' in message and '--exporter dynamo' in message
    assert not (tmp_path / 'm.onnx').exists()


def test_a_model_with_its_transfer_is_refused(tmp_path):
    model = tiny_model('ConvLSTMCell', 'SingleScaleStack')
    model.transfer = torch.nn.Identity()  # as keep_transfer=True leaves it
    with pytest.raises(OnnxExportError, match='without keep_transfer'):
        export_onnx(model, str(tmp_path / 'm.onnx'), frame_size=(SIZE, SIZE))


def test_a_frame_size_the_model_cannot_take_is_refused(tmp_path):
    model = tiny_model('ConvLSTMCell', 'MultiScalePyramid', patch_size=2)
    with pytest.raises(OnnxExportError, match='must divide both sides'):
        export_onnx(model, str(tmp_path / 'm.onnx'), frame_size=(18, 16))


def test_export_tool_verifies_a_zoo_model(tmp_path, monkeypatch, capsys):
    script = osp.join(REPO_ROOT, 'tools', 'deployment', 'export_onnx.py')
    out = tmp_path / 'zoo.onnx'
    monkeypatch.setattr(sys, 'argv', [
        script, 'zoo:convlstm_2x32_flying2digits-10to10_cpu', '--out',
        str(out), '--verify', '--benchmark', '1'
    ])
    runpy.run_path(script, run_name='__main__')
    printed = capsys.readouterr().out
    assert "frames ('B', 10, 1, 64, 64) -> forecast ('B', 10, 1, 64, 64)" \
        in printed
    assert 'max abs difference' in printed and 'onnxruntime' in printed
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta['checkpoint'] == 'zoo:convlstm_2x32_flying2digits-10to10_cpu'
    assert meta['patch_size'] == '4' and meta['value_scale'] == '255.0'
