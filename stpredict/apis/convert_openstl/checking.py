"""Checking a converted model: it forecasts once loaded as a user loads it,
and it forecasts what OpenSTL forecast."""
from typing import Mapping

import torch

from stpredict.utils.checkpoint import safe_torch_load
from .methods import OpenSTLConversionError, OpenSTLModel


def _check_written(config_path: str, checkpoint_path: str,
                   model: OpenSTLModel) -> None:
    """Load the written files as a user would and forecast once."""
    from ..inference import init_forecaster
    forecaster = init_forecaster(config_path, checkpoint_path)
    height, width = model.frame_size or (4 * model.patch_size,
                                         4 * model.patch_size)
    frames = torch.rand(
        1,
        model.pre_seq_length,
        model.in_channels,
        height,
        width,
        generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = forecaster.predict(forecaster.data_preprocessor.patch(frames))
    pred = out[0].pred_frames
    expected = (model.aft_seq_length, model.in_channels, height, width)
    if tuple(pred.shape) != expected or not torch.isfinite(pred).all():
        raise RuntimeError(  # pragma: no cover - a converter bug
            f'The converted model forecasts {tuple(pred.shape)} frames '
            f'(finite: {bool(torch.isfinite(pred).all())}), expected '
            f'{expected}.')


def compare_with_openstl(config: str, checkpoint: str,
                         openstl_io: str) -> float:
    """Largest difference between the converted model's and OpenSTL's
    forecasts of the same frames.

    Args:
        config (str): The written config.
        checkpoint (str): The written checkpoint.
        openstl_io (str): A file saved with ``torch.save`` holding
            ``frames`` (float ``[B, T, C, H, W]`` in ``[0, 1]``, at least the
            ``T_in`` observed ones) and ``forecast`` (what OpenSTL's model
            predicts for the next ``T_out`` frames, ``[B, T_out, C, H,
            W]``), read with the safe loader.

    Returns:
        float: ``max |predict - forecast.clamp(0, 1)|`` (stpredict's
        ``predict`` clips to ``[0, 1]``, OpenSTL does not).
    """
    from ..inference import init_forecaster
    data = safe_torch_load(openstl_io, map_location='cpu')
    if not isinstance(data, Mapping) or not all(
            isinstance(data.get(key), torch.Tensor)
            for key in ('frames', 'forecast')):
        raise OpenSTLConversionError(
            f'{openstl_io} must hold a dict with the tensors "frames" '
            '[B, T, C, H, W] and "forecast" [B, T_out, C, H, W] (OpenSTL\'s '
            'prediction of the frames after the first T_in).')
    model = init_forecaster(config, checkpoint)
    frames, reference = data['frames'].float(), data['forecast'].float()
    with torch.no_grad():
        samples = model.predict(model.data_preprocessor.patch(frames))
    pred = torch.stack([sample.pred_frames for sample in samples])
    if pred.shape != reference.shape:
        raise OpenSTLConversionError(
            f'OpenSTL\'s forecast in {openstl_io} has shape '
            f'{tuple(reference.shape)}, the converted model forecasts '
            f'{tuple(pred.shape)} from its frames: check pre_seq_length, '
            'aft_seq_length and in_shape.')
    return float((pred - reference.clamp(0, 1)).abs().max())
