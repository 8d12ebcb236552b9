"""tools/analysis_tools/transfer_gates.py: test-time gates, strict weights."""
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config

from stpredict.apis import strip_transfer
from stpredict.registry import MODELS
from stpredict.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
TMU = 'configs/tmu/tmu_convlstm_2x32_flying3digits-10to10_cpu.py'
CONVLSTM = 'configs/tmu/scratch_convlstm_2x32_flying3digits-10to10_cpu.py'


def write_checkpoint(config, path):
    register_all_modules(init_default_scope=False)
    cfg = strip_transfer(Config.fromfile(str(ROOT / config)))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return model


def run_tool(checkpoint):
    return subprocess.run(
        [sys.executable, 'tools/analysis_tools/transfer_gates.py', TMU,
         str(checkpoint), '--max-batches', '1',
         '--cfg-options', 'test_dataloader.batch_size=2',
         'test_dataloader.num_workers=0',
         'test_dataloader.persistent_workers=False'],
        cwd=ROOT, capture_output=True, text=True)


def test_gates_at_test_time_from_strictly_loaded_weights(tmp_path):
    model = write_checkpoint(TMU, tmp_path / 'tmu.pth')
    result = run_tool(tmp_path / 'tmu.pth')
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'strictly' in result.stdout
    assert 'gate_l0_1digit' in result.stdout or '1digit' in result.stdout
    # the initial transfer-gate bias (3.0) shows: gates near sigmoid(3)
    bias = model.neck.cells[0].gate_conv.bias[4 * 32:]
    assert torch.all(bias == 3.0)
    # a checkpoint of another model is refused, naming the weights
    write_checkpoint(CONVLSTM, tmp_path / 'convlstm.pth')
    wrong = run_tool(tmp_path / 'convlstm.pth')
    assert wrong.returncode != 0
    assert 'distiller' in (wrong.stdout + wrong.stderr)
