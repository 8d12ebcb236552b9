"""Converting OpenSTL checkpoints: forecasts equal OpenSTL's own.

The fixtures (``tests/fixtures/openstl/``, or the folder in
``STPREDICT_OPENSTL_FIXTURES``) were written by OpenSTL itself:
for ConvLSTM, PredRNN and PredRNN-V2 with random weights, the state_dict
and OpenSTL's forecast from the first ``T_in`` frames.
"""
import argparse
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from stpredict.apis import init_forecaster
from stpredict.apis.convert_openstl import (OpenSTLConversionError,
                                            compare_with_openstl,
                                            convert_openstl,
                                            describe_openstl_model,
                                            load_openstl_hparams,
                                            read_openstl_checkpoint)
from stpredict.testing import write_malicious_checkpoint
from stpredict.utils.checkpoint import UnsafeCheckpointError

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
FIXTURES = os.environ.get(
    'STPREDICT_OPENSTL_FIXTURES',
    osp.join(REPO_ROOT, 'tests', 'fixtures', 'openstl'))
MANIFEST = osp.join(FIXTURES, 'manifest.json')
HPARAMS = ('method', 'num_hidden', 'filter_size', 'stride', 'patch_size',
           'layer_norm', 'in_shape', 'pre_seq_length', 'aft_seq_length')

pytestmark = pytest.mark.skipif(
    not osp.isfile(MANIFEST),
    reason=f'OpenSTL fixtures not found at {FIXTURES} (set '
    'STPREDICT_OPENSTL_FIXTURES)')


def manifest():
    if not osp.isfile(MANIFEST):
        return {}
    with open(MANIFEST) as file:
        return json.load(file)


def fixture(name):
    entry = manifest()[name]
    hparams = {key: entry[key] for key in HPARAMS}
    state_dict = torch.load(
        osp.join(FIXTURES, entry['checkpoint']), weights_only=True)
    io = torch.load(osp.join(FIXTURES, entry['io']), weights_only=True)
    return entry, hparams, state_dict, io


def forecast_of(result, frames):
    model = init_forecaster(result['config'], result['checkpoint'])
    with torch.no_grad():
        samples = model.predict(model.data_preprocessor.patch(frames))
    return torch.stack([sample.pred_frames for sample in samples])


def lightning_file(path, state_dict, **extra):
    """A dict laid out as PyTorch Lightning saves OpenSTL's runs."""
    torch.save(
        dict(
            epoch=3,
            global_step=120,
            **{'pytorch-lightning_version': '2.0.9'},
            state_dict={f'model.{k}': v
                        for k, v in state_dict.items()},
            loops=dict(fit_loop=dict(epoch_progress=dict(current=3))),
            callbacks={"ModelCheckpoint{'monitor': 'val_loss'}": dict(
                best_model_score=torch.tensor(0.5))},
            optimizer_states=[
                dict(state={}, param_groups=[dict(lr=1e-3, params=[0])])
            ],
            lr_schedulers=[dict(last_epoch=3, base_lrs=[1e-3])],
            hyper_parameters=dict(lr=1e-3, sched='onecycle',
                                  test_mean=None),
            **extra), path)


@pytest.mark.parametrize('name', sorted(manifest()))
def test_forecast_equals_openstl(tmp_path, name):
    entry, hparams, _, io = fixture(name)
    result = convert_openstl(
        osp.join(FIXTURES, entry['checkpoint']), str(tmp_path), hparams)
    pred = forecast_of(result, io['frames'])
    expected = io['forecast'].clamp(0, 1)
    assert pred.shape == expected.shape
    assert (pred - expected).abs().max() <= 1e-5
    # not saturated: many values lie strictly inside (0, 1), unclamped
    inside = ((expected > 0) & (expected < 1)).float().mean()
    assert inside > 0.3


def test_compare_reports_the_largest_difference(tmp_path):
    entry, hparams, _, io = fixture('PredRNNv2')
    result = convert_openstl(
        osp.join(FIXTURES, entry['checkpoint']), str(tmp_path), hparams)
    io_file = tmp_path / 'io.pth'
    torch.save(io, io_file)
    assert compare_with_openstl(result['config'], result['checkpoint'],
                                str(io_file)) <= 1e-5
    # move one unclamped value by 0.25: that is the difference reported
    forecast = io['forecast'].clone()
    index = ((forecast > 0.1) & (forecast < 0.7)).nonzero()[0].tolist()
    forecast[tuple(index)] += 0.25
    torch.save(dict(io, forecast=forecast), io_file)
    assert compare_with_openstl(result['config'], result['checkpoint'],
                                str(io_file)) == pytest.approx(0.25, abs=1e-5)
    torch.save(dict(frames=io['frames']), io_file)
    with pytest.raises(OpenSTLConversionError, match='"forecast"'):
        compare_with_openstl(result['config'], result['checkpoint'],
                             str(io_file))


def test_wrong_forget_bias_is_detected(tmp_path):
    """The comparison is sensitive to the conventions the mapping fixes."""
    entry, hparams, _, io = fixture('ConvLSTM')
    result = convert_openstl(
        osp.join(FIXTURES, entry['checkpoint']), str(tmp_path), hparams)
    cfg = Config.fromfile(result['config'])
    assert cfg.model.neck.cell.forget_bias == 0.0  # OpenSTL's ConvLSTM
    model = init_forecaster(
        result['config'], result['checkpoint'],
        cfg_options={'model.neck.cell.forget_bias': 1.0})
    with torch.no_grad():
        samples = model.predict(model.data_preprocessor.patch(io['frames']))
    pred = torch.stack([sample.pred_frames for sample in samples])
    assert (pred - io['forecast'].clamp(0, 1)).abs().max() > 1e-2


def test_shapes_tell_what_hparams_leave_out(tmp_path):
    entry, _, _, io = fixture('PredRNN')
    path = osp.join(FIXTURES, entry['checkpoint'])
    # only what the weights cannot show: patch size (or C) and the lengths
    result = convert_openstl(
        path, str(tmp_path),
        dict(patch_size=4, pre_seq_length=10, aft_seq_length=10))
    model = result['model']
    assert (model.method, model.num_hidden, model.filter_size,
            model.in_channels) == ('predrnn', (16, 16), 5, 1)
    assert model.frame_size is None and not result['has_test_data']
    pred = forecast_of(result, io['frames'])
    assert (pred - io['forecast'].clamp(0, 1)).abs().max() <= 1e-5
    # in_shape alone gives the patch size: 16 channels / C=1 -> p=4
    model = describe_openstl_model(
        read_openstl_checkpoint(path),
        dict(in_shape='10,1,32,32', aft_seq_length=10))
    assert (model.patch_size, model.pre_seq_length) == (4, 10)


def test_lightning_checkpoint_converts(tmp_path):
    entry, hparams, state_dict, io = fixture('PredRNNv2')
    path = tmp_path / 'epoch=3-step=120.ckpt'
    lightning_file(path, state_dict)
    assert set(read_openstl_checkpoint(str(path))) == set(state_dict)
    result = convert_openstl(str(path), str(tmp_path / 'out'), hparams)
    pred = forecast_of(result, io['frames'])
    assert (pred - io['forecast'].clamp(0, 1)).abs().max() <= 1e-5
    # OpenSTL's one shared adapter is every layer's adapter here
    weights = torch.load(result['checkpoint'], weights_only=True)
    for layer in range(2):
        assert torch.equal(
            weights['state_dict'][f'neck.cells.{layer}.adapter.weight'],
            state_dict['adapter.weight'])


def test_lightning_checkpoint_hparams_are_read(tmp_path):
    entry, hparams, state_dict, io = fixture('PredRNN')
    path = tmp_path / 'last.ckpt'
    torch.save(
        dict(
            epoch=1,
            state_dict={f'model.{k}': v
                        for k, v in state_dict.items()},
            hyper_parameters=dict(hparams, lr=1e-3, test_mean=None)), path)
    # nothing given: everything comes from the weights and hyper_parameters
    result = convert_openstl(str(path), str(tmp_path / 'out'))
    assert result['stored_hparams'] == sorted(hparams)
    pred = forecast_of(result, io['frames'])
    assert (pred - io['forecast'].clamp(0, 1)).abs().max() <= 1e-5
    # what is given overrides them (and is checked against the weights)
    result = convert_openstl(
        str(path), str(tmp_path / 'out'), dict(aft_seq_length=4))
    assert result['model'].aft_seq_length == 4
    assert 'aft_seq_length' not in result['stored_hparams']


def test_lightning_checkpoint_with_pickled_object_is_refused(tmp_path):
    """Refused, not unpickled: the object would have run code."""
    entry, hparams, state_dict, _ = fixture('ConvLSTM')
    path, marker = tmp_path / 'last.ckpt', tmp_path / 'pwned'
    write_malicious_checkpoint(
        path,
        marker,
        epoch=3,
        state_dict={f'model.{k}': v
                    for k, v in state_dict.items()})
    with pytest.raises(UnsafeCheckpointError) as error:
        convert_openstl(str(path), str(tmp_path / 'out'), hparams)
    message = str(error.value)
    assert '"pathlib.Path"' in message and 'nothing of it was executed' in \
        message
    # the fix: extract the weights where the file is trusted
    assert "weights_only=False" in message and 'weights.pth' in message
    assert not marker.exists()
    assert not (tmp_path / 'out').exists()


def test_lightning_checkpoint_with_harmless_object_is_refused_too(tmp_path):
    """Any object outside the allow-list is refused, naming its class."""
    _, _, state_dict, _ = fixture('ConvLSTM')
    path = tmp_path / 'last.ckpt'
    lightning_file(path, state_dict, args=argparse.Namespace(lr=1e-3))
    with pytest.raises(UnsafeCheckpointError, match='argparse.Namespace'):
        read_openstl_checkpoint(str(path))


@pytest.mark.parametrize('method, words', [
    ('MIM', ['MIM', 'output gate']),
    ('PredRNN++', ['PredRNN++', 'H_{t-1}']),
    ('E3DLSTM', ['E3D-LSTM', 'repeating frames']),
    ('MAU', ['MAU', 'sr_size']),
    ('SimVP', ['not a stack of recurrent cells']),
    ('MyNet', ['not a method of OpenSTL']),
])
def test_other_methods_are_refused(tmp_path, method, words):
    entry, hparams, _, _ = fixture('PredRNN')
    hparams['method'] = method
    with pytest.raises(OpenSTLConversionError) as error:
        convert_openstl(
            osp.join(FIXTURES, entry['checkpoint']), str(tmp_path), hparams)
    message = str(error.value)
    for word in words + ['Only ConvLSTM, PredRNN, PredRNNv2']:
        assert word in message


def test_layer_norm_is_refused(tmp_path):
    entry, hparams, state_dict, _ = fixture('ConvLSTM')
    path = osp.join(FIXTURES, entry['checkpoint'])
    with pytest.raises(OpenSTLConversionError, match='layer_norm=1') as err:
        convert_openstl(path, str(tmp_path), dict(hparams, layer_norm=1))
    assert 'LayerNorm' in str(err.value) and 'separately' in str(err.value)
    # the LayerNorms in the weights give it away without the hyperparameter
    normed = dict(state_dict)
    normed['cell_list.0.conv_x.1.weight'] = torch.ones(64, 8, 8)
    hparams.pop('layer_norm')
    with pytest.raises(OpenSTLConversionError, match='have LayerNorms'):
        describe_openstl_model(normed, hparams)


@pytest.mark.parametrize('change, match', [
    (dict(patch_size=None, in_shape=None), 'Give patch_size'),
    (dict(aft_seq_length=None), 'give aft_seq_length'),
    (dict(in_shape=None, pre_seq_length=None), 'give pre_seq_length'),
    (dict(num_hidden='32,32'), r'2 layers of \[16, 16\] channels'),
    (dict(filter_size=3), r'\(5, 5\) kernels'),
    (dict(method='ConvLSTM'), "laid out as OpenSTL's PredRNN"),
    (dict(patch_size=2, in_shape=[10, 3, 32, 32]), 'make 12 channels'),
    (dict(stride=2), 'stride=2'),
    (dict(num_hiden='16,16'), 'Unknown OpenSTL hyperparameters'),
])
def test_hparams_that_do_not_fit_are_named(change, match):
    _, hparams, state_dict, _ = fixture('PredRNN')
    hparams.update(change)
    with pytest.raises(OpenSTLConversionError, match=match):
        describe_openstl_model(state_dict, hparams)


def test_modified_weights_are_refused():
    _, hparams, state_dict, _ = fixture('PredRNN')
    with_bias = dict(state_dict)
    with_bias['cell_list.0.conv_x.0.bias'] = torch.zeros(112)
    with pytest.raises(OpenSTLConversionError, match='unexpected tensors'):
        describe_openstl_model(with_bias, hparams)
    missing = dict(state_dict)
    del missing['cell_list.1.conv_o.0.weight']
    with pytest.raises(OpenSTLConversionError,
                       match='cell_list.1.conv_o.0.weight is missing'):
        describe_openstl_model(missing, hparams)


def test_written_files(tmp_path):
    entry, hparams, _, _ = fixture('ConvLSTM')
    data = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                    'moving_mnist.py')
    result = convert_openstl(
        osp.join(FIXTURES, entry['checkpoint']),
        str(tmp_path),
        dict(hparams, in_shape=[10, 1, 64, 64], aft_seq_length=5),
        name='converted',
        data_config=data)
    assert result['config'] == str(tmp_path / 'converted.py')
    assert osp.isfile(result['checkpoint'] + '.sha256')
    # OpenSTL ConvLSTM's unused modules are dropped and reported
    assert result['dropped'] == [
        f'cell_list.{layer}.{name}' for layer in range(2)
        for name in ('conv_o.0.weight', 'conv_last.weight')
    ]
    cfg = Config.fromfile(result['config'])
    assert cfg.test_dataloader.dataset.type == 'MovingMNIST'
    assert cfg.test_dataloader.dataset.output_frames == 5
    assert cfg.model.output_frames == 5
    assert cfg.model.neck.cell == dict(
        type='ConvLSTMCell', kernel_size=5, bias=False, forget_bias=0.0)
    meta = torch.load(result['checkpoint'], weights_only=True)['meta']
    assert meta['converted_from']['hparams']['num_hidden'] == '16,16'
    # FlyingDigits is 64 x 64 by default: 32 x 32 frames do not fit it
    digits = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                      'flying_digits_2digits.py')
    with pytest.raises(OpenSTLConversionError, match='frames of 64x64'):
        convert_openstl(
            osp.join(FIXTURES, entry['checkpoint']), str(tmp_path), hparams,
            data_config=digits)


def test_hparams_file(tmp_path):
    json_file = tmp_path / 'hparams.json'
    json_file.write_text(json.dumps(dict(method='PredRNN', patch_size=4)))
    assert load_openstl_hparams(str(json_file)) == dict(
        method='PredRNN', patch_size=4)
    # an OpenSTL method config: its training settings are ignored
    py_file = tmp_path / 'PredRNN.py'
    py_file.write_text("method = 'PredRNN'\nnum_hidden = '16,16'\n"
                       'filter_size = 5\nlr = 5e-4\nbatch_size = 16\n')
    assert load_openstl_hparams(str(py_file)) == dict(
        method='PredRNN', num_hidden='16,16', filter_size=5)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_openstl_hparams(str(tmp_path / 'nope.json'))
