from .convert_openstl import OpenSTLConversionError, convert_openstl
from .export import export_target, strip_transfer
from .inference import (forecast, forecast_length, infer_layout,
                        init_forecaster, model_frame_size, observed_frames,
                        read_frames, to_layout)

__all__ = [
    'convert_openstl', 'OpenSTLConversionError', 'export_target',
    'strip_transfer', 'init_forecaster', 'forecast', 'forecast_length',
    'observed_frames', 'read_frames', 'infer_layout', 'model_frame_size',
    'to_layout'
]
