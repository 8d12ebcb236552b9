"""Mapping OpenSTL's weights onto those of stpredict's model."""
from typing import Dict, Mapping

import torch

from .methods import OpenSTLModel


def convert_openstl_state_dict(state_dict: Mapping[str, torch.Tensor],
                               model: OpenSTLModel
                               ) -> Dict[str, torch.Tensor]:
    """Rearrange OpenSTL's weights into those of stpredict's model.

    Args:
        state_dict (Mapping[str, torch.Tensor]): OpenSTL's weights, checked
            by :func:`describe_openstl_model`.
        model (OpenSTLModel): What they are.

    Returns:
        dict[str, torch.Tensor]: The weights of the model built from
        :func:`openstl_model_config` (contiguous copies).
    """
    converted: Dict[str, torch.Tensor] = {}
    for layer, hidden in enumerate(model.num_hidden):
        old = f'cell_list.{layer}.'
        new = f'neck.cells.{layer}.'
        conv_x = state_dict[old + 'conv_x.0.weight']
        conv_h = state_dict[old + 'conv_h.0.weight']
        if model.method == 'convlstm':
            # i, f, g, o on X and on H -> one convolution on [X, H]
            converted[new + 'gate_conv.weight'] = torch.cat([conv_x, conv_h],
                                                            dim=1)
            continue
        # conv_x: i, f, g, i', f', g', o on X; conv_h: i, f, g, o on H;
        # conv_m: i', f', g' on M
        x_temporal = torch.cat([conv_x[:3 * hidden], conv_x[6 * hidden:]])
        x_spatial = conv_x[3 * hidden:6 * hidden]
        conv_m = state_dict[old + 'conv_m.0.weight']
        converted[new + 'temporal_conv.weight'] = torch.cat(
            [x_temporal, conv_h], dim=1)
        converted[new + 'spatial_conv.weight'] = torch.cat(
            [x_spatial, conv_m], dim=1)
        converted[new + 'output_conv.weight'] = state_dict[old +
                                                           'conv_o.0.weight']
        converted[new + 'fusion_conv.weight'] = state_dict[old +
                                                           'conv_last.weight']
        if model.method == 'predrnnv2':
            # OpenSTL shares one adapter; every stpredict layer has its own
            converted[new + 'adapter.weight'] = state_dict['adapter.weight']
    converted['head.weight'] = state_dict['conv_last.weight']
    return {
        key: value.detach().clone().contiguous()
        for key, value in converted.items()
    }
