"""tools/model_converters/openstl2stpredict.py, then tools/test.py on its
output, as a user runs them."""
import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from tool_runner import PYTHON, REPO_ROOT, loader_options, run_tool

from stpredict.apis import init_forecaster
from stpredict.registry import DATASETS

FIXTURES = os.environ.get(
    'STPREDICT_OPENSTL_FIXTURES',
    osp.join(REPO_ROOT, 'tests', 'fixtures', 'openstl'))

pytestmark = pytest.mark.skipif(
    not osp.isfile(osp.join(FIXTURES, 'manifest.json')),
    reason=f'OpenSTL fixtures not found at {FIXTURES} (set '
    'STPREDICT_OPENSTL_FIXTURES)')


def test_convert_then_test(tmp_path):
    hparams = tmp_path / 'hparams.json'
    hparams.write_text(json.dumps(dict(method='PredRNN', num_hidden='16,16')))
    out = tmp_path / 'converted'
    _, output = run_tool(
        PYTHON, 'tools/model_converters/openstl2stpredict.py',
        osp.join(FIXTURES, 'openstl_predrnn.pth'), str(out), '--hparams',
        str(hparams), '--in_shape', '10', '1', '32', '32',
        '--aft_seq_length', '10', '--name', 'predrnn', '--compare',
        osp.join(FIXTURES, 'openstl_predrnn_io.pth'))
    config, checkpoint = str(out / 'predrnn.py'), str(out / 'predrnn.pth')
    assert f'config:     {config}' in output
    assert 'OpenSTL PredRNN: 2 layers of [16, 16] channels' in output
    assert osp.isfile(checkpoint + '.sha256')
    line = "largest difference to OpenSTL's forecast (clamped to [0, 1]): "
    assert float(output.split(line)[1].split()[0]) <= 1e-5

    # the written files forecast as OpenSTL did
    io = torch.load(
        osp.join(FIXTURES, 'openstl_predrnn_io.pth'), weights_only=True)
    model = init_forecaster(config, checkpoint)
    with torch.no_grad():
        samples = model.predict(model.data_preprocessor.patch(io['frames']))
    pred = torch.stack([sample.pred_frames for sample in samples])
    assert (pred - io['forecast'].clamp(0, 1)).abs().max() <= 1e-5

    # tools/test.py runs them on the stand-in test set
    metrics = tmp_path / 'metrics.json'
    run_tool(PYTHON, 'tools/test.py', config, checkpoint, '--work-dir',
             str(tmp_path / 'work'), '--out', str(metrics), '--cfg-options',
             *loader_options('test_dataloader', 4, 4),
             'default_hooks.visualization=None')
    scores = json.loads(metrics.read_text())
    # ... with the forecasts init_forecaster gives for those sequences
    dataset_cfg = Config.fromfile(config).test_dataloader.dataset
    dataset = DATASETS.build(dict(dataset_cfg, num_sequences=4))
    frames = torch.stack([dataset[i]['inputs'] for i in range(4)])
    frames = frames.float() / 255
    with torch.no_grad():
        samples = model.predict(model.data_preprocessor.patch(frames))
    pred = torch.stack([sample.pred_frames for sample in samples])
    mse = ((pred - frames[:, 10:])**2).mean().item()
    assert scores['mse_per_pixel'] == pytest.approx(mse, rel=1e-4)
