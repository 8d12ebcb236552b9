from .convert_openstl import OpenSTLConversionError, convert_openstl
from .export import export_target, strip_transfer
from .inference import (DEFAULT_LAYOUT, LAYOUTS, check_layout, forecast,
                        forecast_length, init_forecaster, model_frame_size,
                        observed_frames, read_frames, to_layout)
from .model_zoo import (ZooModel, get_zoo_model, is_zoo_name, load_model_zoo,
                        resolve_model_files, verify_zoo_checkpoint)

__all__ = [
    'convert_openstl', 'OpenSTLConversionError', 'export_target',
    'strip_transfer', 'init_forecaster', 'forecast', 'forecast_length',
    'observed_frames', 'read_frames', 'check_layout', 'DEFAULT_LAYOUT',
    'LAYOUTS', 'model_frame_size',
    'to_layout', 'ZooModel', 'get_zoo_model', 'is_zoo_name',
    'load_model_zoo', 'resolve_model_files', 'verify_zoo_checkpoint'
]
