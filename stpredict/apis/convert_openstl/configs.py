"""The stpredict config of a converted model: its ``model`` entry and the
data (loaders, evaluators, loops) it is tested on."""
import copy
from types import SimpleNamespace
from typing import Optional

from mmengine.config import Config

from .methods import (FORGET_BIAS, SUPPORTED_METHODS, OpenSTLConversionError,
                      OpenSTLModel)


def openstl_model_config(model: OpenSTLModel) -> dict:
    """The stpredict ``model`` config that computes OpenSTL's forecast.

    The frame loss is OpenSTL's (mean squared error over every pixel);
    PredRNN-V2's decoupling loss is weighted as OpenSTL weights it
    (``decouple_beta`` on the mean over layers and steps; stpredict sums
    over layers, hence ``decouple_beta / num_layers``). Both only matter for
    further training.

    Args:
        model (OpenSTLModel): From :func:`describe_openstl_model`.

    Returns:
        dict: The ``model`` entry of a config.
    """
    cell = dict(
        type=SUPPORTED_METHODS[model.method],
        kernel_size=model.filter_size,
        bias=False,
        forget_bias=FORGET_BIAS[model.method])
    hidden = list(model.num_hidden)
    config = dict(
        type='RecurrentPredictor',
        input_frames=model.pre_seq_length,
        output_frames=model.aft_seq_length,
        in_channels=model.in_channels,
        data_preprocessor=dict(
            type='SequenceDataPreprocessor', patch_size=model.patch_size),
        stem=None,
        neck=dict(
            type='SingleScaleStack',
            cell=cell,
            num_layers=len(hidden),
            hidden_channels=hidden if len(set(hidden)) > 1 else hidden[0]),
        head=dict(type='Conv2d', kernel_size=1, bias=False),
        loss=dict(type='FrameLoss', error='l2', reduction='pixel_mean'))
    if model.method == 'predrnnv2':
        config['aux_loss_weights'] = dict(
            loss_decouple=model.decouple_beta / len(hidden))
    return config


def _flying_digits_data(model: OpenSTLModel) -> Optional[dict]:
    """Test/val loaders of synthetic flying digits at the model's shape.

    A stand-in test set that needs no download (gray, square frames of at
    least 28 pixels, the digits' size); None when the frames are not so.
    """
    if model.in_channels != 1 or model.frame_size is None:
        return None
    height, width = model.frame_size
    if height != width or height < 28:
        return None
    dataset = dict(
        type='FlyingDigits',
        num_digits=2,
        image_size=height,
        input_frames=model.pre_seq_length,
        output_frames=model.aft_seq_length,
        mnist_file=None,
        pipeline=[dict(type='PackSequenceInputs')])
    loader = dict(batch_size=8, num_workers=2, persistent_workers=True)
    metrics = [
        dict(type='MSE', reduction=('frame_sum', 'pixel_mean')),
        dict(type='MAE', reduction=('frame_sum', 'pixel_mean')),
        dict(type='SSIM'),
        dict(type='PSNR'),
    ]
    return dict(
        val_dataloader=dict(
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(dataset, split='val'),
            **loader),
        test_dataloader=dict(
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(dataset, split='test'),
            **loader),
        val_evaluator=metrics,
        test_evaluator=copy.deepcopy(metrics),
        val_cfg=dict(type='ValLoop'),
        test_cfg=dict(type='TestLoop'))


#: Entries of a data config that the converted config takes over.
DATA_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader',
             'val_evaluator', 'test_evaluator', 'val_cfg', 'test_cfg')


def _set_windows(cfg: dict, model: OpenSTLModel) -> None:
    """Make every loader's windows match the converted model."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(name) or {}).get('dataset')
        while isinstance(dataset, dict) and isinstance(
                dataset.get('dataset'), dict):  # dataset wrappers
            dataset = dataset['dataset']
        if isinstance(dataset, dict):
            dataset['input_frames'] = model.pre_seq_length
            dataset['output_frames'] = model.aft_seq_length


def _check_data_frame_size(data: dict, model: OpenSTLModel,
                           data_config: str) -> None:
    """The data's frames have the size of ``in_shape``, when both say."""
    from ..inference import model_frame_size
    size = model_frame_size(SimpleNamespace(cfg=Config(data)))
    if model.frame_size and size and tuple(size) != tuple(model.frame_size):
        raise OpenSTLConversionError(
            f'The data config {data_config} has frames of '
            f'{size[0]}x{size[1]}, the model was trained on in_shape frames '
            f'of {model.frame_size[0]}x{model.frame_size[1]}. Give a data '
            'config of that size (or set its image_size), or the in_shape '
            'the checkpoint was trained with.')
