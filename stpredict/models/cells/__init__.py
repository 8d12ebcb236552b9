from .base import BaseCell
from .causal_lstm import CausalLSTMCell
from .cms_lstm import CMSLSTMCell
from .convlstm import ConvLSTMCell
from .e3d_lstm import E3DLSTMCell
from .gradient_highway_unit import GradientHighwayUnit
from .mau import MAUCell
from .memory_transfer_wrapper import MemoryTransferWrapper
from .mim import MIMBlock, MIMCell
from .modernn import MoDeRNNCell
from .motionrnn import MotionGRU, MotionMIMBlock, MotionMIMCell
from .norms import SpatialLayerNorm, apply_norm, build_cell_norm
from .preciplstm import PrecipLSTMCell
from .spatiotemporal_lstm import SpatioTemporalLSTMCell
from .spatiotemporal_lstm_v2 import SpatioTemporalLSTMv2Cell
from .tmu import TMUCell
from .trajgru import TrajGRUCell

__all__ = [
    'BaseCell', 'CausalLSTMCell', 'CMSLSTMCell', 'ConvLSTMCell',
    'E3DLSTMCell', 'GradientHighwayUnit', 'MAUCell', 'MIMBlock', 'MIMCell',
    'MoDeRNNCell', 'MotionGRU', 'MotionMIMBlock', 'MotionMIMCell',
    'SpatialLayerNorm', 'build_cell_norm', 'apply_norm', 'PrecipLSTMCell',
    'SpatioTemporalLSTMCell', 'SpatioTemporalLSTMv2Cell',
    'MemoryTransferWrapper', 'TMUCell', 'TrajGRUCell'
]
