"""Export the forecast of a trained model to ONNX, and run it there.

The exported graph is exactly the test-time forecast of
:class:`~stpredict.models.predictors.RecurrentPredictor`
(:meth:`~stpredict.models.predictors.RecurrentPredictor.predict`):
observed frames in, the ``T_in + T_out - 1`` steps of the time loop
unrolled (observed frames first, then the model's own predictions), the
``T_out`` predicted frames clipped to ``[0, 1]`` out, patching and
un-patching inside. :class:`ForecastGraph` is that path as one module.

Two exporters of :func:`torch.onnx.export` are offered:

- ``'torchscript'`` (the default): PyTorch's tracing exporter. It needs only
  the ``onnx`` package and exports a model in seconds; PyTorch marks it
  deprecated (since 2.9) but it works in PyTorch 2.13.
- ``'dynamo'``: the ``torch.export``-based exporter, PyTorch's default
  since 2.9; it also needs ``onnxscript`` and takes 15-25 times longer to
  export the same model. Use it for cells the tracing exporter cannot
  handle (:data:`UNSUPPORTED_CELLS`) or once the tracing one is removed.

Both give the same forecasts (``docs/exporting.md`` gives the measured
differences to PyTorch and the cells that export).
"""
import contextlib
import copy
import io
import os
import os.path as osp
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

#: The exporters :func:`export_onnx` offers.
EXPORTERS = ('torchscript', 'dynamo')
#: The ONNX opset the tracing exporter writes by default.
DEFAULT_OPSET = 17
#: Names of the graph's input and output.
INPUT_NAME = 'frames'
OUTPUT_NAME = 'forecast'

#: Cells an exporter cannot export, with the reason (found by
#: ``python tools/deployment/check_onnx_cells.py``).
UNSUPPORTED_CELLS: Dict[str, Dict[str, str]] = {
    'torchscript': {
        'MoDeRNNCell':
        'its multi-kernel convolutions sum their 3x3, 5x5 and 7x7 kernels '
        'into one kernel at run time (F.pad of the weights), and the '
        'tracing exporter cannot export a convolution whose kernel shape '
        'is computed in the graph ("ONNX export of convolution for kernel '
        'of unknown shape")',
    },
    'dynamo': {},
}


class OnnxExportError(RuntimeError):
    """A model that cannot be exported, or an export that failed."""


class ForecastGraph(nn.Module):
    """The test-time forecast of a recurrent predictor, as one module.

    ``forward`` takes the observed frames as float ``[B, T_in, C, H, W]``
    in ``[0, 1]`` (uint8 frames divided by the data preprocessor's
    ``value_scale``, usually 255) and returns the ``T_out`` predicted
    frames ``[B, T_out, C, H, W]`` in ``[0, 1]``: the same values as the
    ``pred_frames`` of the model's ``predict`` (and of
    :func:`~stpredict.apis.forecast` for float input).

    Args:
        model (nn.Module): A :class:`RecurrentPredictor` without a transfer
            method, e.g. from :func:`~stpredict.apis.init_forecaster`.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    @property
    def input_frames(self) -> int:
        """``T_in``."""
        return self.model.input_frames

    @property
    def output_frames(self) -> int:
        """``T_out``."""
        return self.model.output_frames

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """Forecast ``T_out`` frames from ``T_in`` observed ones.

        Args:
            frames (torch.Tensor): ``[B, T_in, C, H, W]`` in ``[0, 1]``.

        Returns:
            torch.Tensor: ``[B, T_out, C, H, W]`` in ``[0, 1]``.
        """
        model = self.model
        patched = model.data_preprocessor.patch(frames)
        preds, _ = model.unroll(patched, model.total_frames - 1)
        future = preds[:, model.input_frames - 1:].clamp(0, 1)
        return model.data_preprocessor.unpatch(future)


def cell_types(model: nn.Module) -> List[str]:
    """The cell class of every layer of the model's neck.

    Args:
        model (nn.Module): A recurrent predictor.

    Returns:
        list[str]: Class names, layer 0 first.
    """
    return [type(cell).__name__ for cell in model.neck.cells]


def check_exportable(model: nn.Module, exporter: str = 'torchscript') -> None:
    """Refuse, with the reason, a model that cannot be exported.

    Args:
        model (nn.Module): The model.
        exporter (str): One of :data:`EXPORTERS`. Defaults to
            ``'torchscript'``.

    Raises:
        OnnxExportError: The model is not a recurrent predictor, still has
            a transfer method, or has a cell the exporter cannot export.
    """
    if exporter not in EXPORTERS:
        raise ValueError(
            f'exporter must be one of {EXPORTERS}, got {exporter!r}.')
    for name in ('unroll', 'neck', 'data_preprocessor', 'input_frames'):
        if not hasattr(model, name):
            raise OnnxExportError(
                f'{type(model).__name__} is not a RecurrentPredictor (it has '
                f'no {name}); export a model from init_forecaster.')
    if getattr(model, 'transfer', None) is not None:
        raise OnnxExportError(
            f'The model still has its transfer method '
            f'({type(model.transfer).__name__}) and its source models. '
            'Export the model alone: load it with init_forecaster without '
            'keep_transfer (tools/deployment/export_onnx.py does), which '
            'drops the transfer as tools/infer.py does.')
    unsupported = UNSUPPORTED_CELLS[exporter]
    for layer, name in enumerate(cell_types(model)):
        if name in unsupported:
            other = [
                candidate for candidate in EXPORTERS
                if candidate != exporter
                and name not in UNSUPPORTED_CELLS[candidate]
            ]
            fix = (f' Use the {other[0]} exporter (--exporter {other[0]}).'
                   if other else '')
            raise OnnxExportError(
                f'Layer {layer} is a {name}, which the {exporter} exporter '
                f'cannot export: {unsupported[name]}.{fix}')


def _frame_shape(model: nn.Module,
                 frame_size: Optional[Sequence[int]]) -> Tuple[int, int]:
    from .inference import model_frame_size
    size = tuple(frame_size) if frame_size else model_frame_size(model)
    if not size:
        raise OnnxExportError(
            'The frame size of the model is unknown (its config states no '
            'dataset image_size); give it (--frame-size H W).')
    height, width = (int(side) for side in size)
    patch = int(getattr(model.data_preprocessor, 'patch_size', 1))
    divisor = patch * int(getattr(model.neck, 'size_divisor', 1))
    if height % divisor or width % divisor:
        raise OnnxExportError(
            f'Frames of {height}x{width} do not fit the model: its patch '
            f'size ({patch}) times its coarsest scale must divide both '
            f'sides ({divisor}). Give another --frame-size.')
    return height, width


def export_onnx(model: nn.Module,
                out_file: str,
                frame_size: Optional[Sequence[int]] = None,
                exporter: str = 'torchscript',
                opset: Optional[int] = None,
                dynamic_batch: bool = True,
                metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Write the forecast of ``model`` as an ONNX model.

    The graph's input ``frames`` is float32 ``[B, T_in, C, H, W]`` in
    ``[0, 1]``, its output ``forecast`` float32 ``[B, T_out, C, H, W]`` in
    ``[0, 1]`` (see :class:`ForecastGraph`). ``B`` is dynamic unless
    ``dynamic_batch=False`` (then 1); ``T_in``, ``T_out``, ``C``, ``H`` and
    ``W`` are fixed. The model's facts (frames, channels, patch size, value
    scale, cells) are stored as metadata of the ONNX model.

    Args:
        model (nn.Module): A recurrent predictor from
            :func:`~stpredict.apis.init_forecaster`, on the CPU.
        out_file (str): The ``.onnx`` file to write.
        frame_size (Sequence[int], optional): ``(H, W)``. Defaults to None:
            the frame size of the model's config.
        exporter (str): ``'torchscript'`` or ``'dynamo'`` (see the module's
            docstring). Defaults to ``'torchscript'``.
        opset (int, optional): ONNX opset version. Defaults to None:
            :data:`DEFAULT_OPSET` for the tracing exporter, the exporter's
            own default for dynamo.
        dynamic_batch (bool): Whether the batch size is left open. Defaults
            to True.
        metadata (dict, optional): Extra metadata entries (e.g. the config
            and checkpoint it came from). Defaults to None.

    Returns:
        dict: ``out_file``, ``seconds`` (the export, with the check of the
        written model), ``opset``, ``exporter``, ``input_shape`` and
        ``output_shape`` (``'B'`` for a dynamic batch).

    Raises:
        OnnxExportError: The model cannot be exported (see
            :func:`check_exportable`) or the exporter failed; the message
            names the cells and the exporter's error.
        ImportError: ``onnx`` (or, for dynamo, ``onnxscript``) is missing.
    """
    check_exportable(model, exporter)
    try:
        import onnx
    except ImportError:
        raise ImportError(
            'ONNX export needs the onnx package: pip install onnx '
            'onnxruntime (or pip install -e ".[deploy]").') from None
    height, width = _frame_shape(model, frame_size)
    channels, t_in, t_out = (model.in_channels, model.input_frames,
                             model.output_frames)
    graph = ForecastGraph(copy.deepcopy(model).cpu().eval()).eval()
    example = torch.rand(2 if dynamic_batch else 1, t_in, channels, height,
                         width)
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    kwargs: Dict[str, Any] = dict(
        input_names=[INPUT_NAME], output_names=[OUTPUT_NAME])
    if exporter == 'torchscript':
        opset = opset or DEFAULT_OPSET
        kwargs.update(dynamo=False, opset_version=opset)
        if dynamic_batch:
            kwargs['dynamic_axes'] = {
                INPUT_NAME: {0: 'batch'}, OUTPUT_NAME: {0: 'batch'}}
    else:
        try:
            import onnxscript  # noqa: F401
        except ImportError:
            raise ImportError(
                'The dynamo exporter needs the onnxscript package: pip '
                'install onnxscript.') from None
        kwargs.update(dynamo=True, external_data=False)
        if opset:
            kwargs['opset_version'] = opset
        if dynamic_batch:
            kwargs['dynamic_shapes'] = ({0: torch.export.Dim('batch')}, )
    start = time.perf_counter()
    try:
        with torch.no_grad(), warnings.catch_warnings(), \
                contextlib.redirect_stdout(io.StringIO()):
            # the tracing exporter's deprecation notice (the choice of
            # exporter is documented) and its notes on the shape checks of
            # the model, which see the fixed T, C, H and W (the batch size
            # is checked by running batches of 1 and 3: --verify, tests)
            warnings.simplefilter('ignore', DeprecationWarning)
            warnings.simplefilter('ignore', FutureWarning)
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            torch.onnx.export(graph, (example, ), out_file, **kwargs)
    except Exception as error:  # the exporters raise many kinds
        first = str(error).strip().splitlines()[0][:400] if str(
            error).strip() else ''
        raise OnnxExportError(
            f'The {exporter} exporter failed on a model with the cells '
            f'{cell_types(model)} ({type(error).__name__}: {first}). Try '
            'the other exporter (--exporter), and list the cell in '
            'UNSUPPORTED_CELLS of stpredict/apis/onnx_export.py with the '
            'reason.') from error
    onnx_model = onnx.load(out_file)
    onnx.checker.check_model(onnx_model)
    facts = dict(
        producer='stpredict', input_frames=t_in, output_frames=t_out,
        channels=channels, height=height, width=width,
        patch_size=int(getattr(model.data_preprocessor, 'patch_size', 1)),
        value_scale=float(
            getattr(model.data_preprocessor, 'value_scale', 255.0)),
        cells=','.join(cell_types(model)),
        neck=type(model.neck).__name__, exporter=exporter)
    facts.update(metadata or {})
    del onnx_model.metadata_props[:]
    for key, value in facts.items():
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = str(key), str(value)
    onnx.save(onnx_model, out_file)
    seconds = time.perf_counter() - start
    opset_written = next(
        (item.version for item in onnx_model.opset_import
         if item.domain in ('', 'ai.onnx')), opset)
    batch = 'B' if dynamic_batch else 1
    return dict(
        out_file=out_file, seconds=seconds, opset=opset_written,
        exporter=exporter,
        input_shape=(batch, t_in, channels, height, width),
        output_shape=(batch, t_out, channels, height, width))


def onnx_session(onnx_file: str, threads: Optional[int] = None) -> Any:
    """An onnxruntime CPU session of an exported model.

    Args:
        onnx_file (str): The ``.onnx`` file.
        threads (int, optional): Intra-op threads (inter-op: 1). Defaults
            to None (onnxruntime's default).

    Returns:
        onnxruntime.InferenceSession: The session.
    """
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(
            'Running an ONNX model needs onnxruntime: pip install '
            'onnxruntime.') from None
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        onnx_file, options, providers=['CPUExecutionProvider'])


def onnx_forecast(session: Any, frames: np.ndarray) -> np.ndarray:
    """Run an exported model on observed frames.

    Args:
        session (onnxruntime.InferenceSession): From :func:`onnx_session`.
        frames (np.ndarray): float ``[B, T_in, C, H, W]`` in ``[0, 1]``, or
            uint8 (divided by 255 here).

    Returns:
        np.ndarray: float32 ``[B, T_out, C, H, W]`` in ``[0, 1]``.
    """
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        frames = frames.astype(np.float32) / np.float32(255)
    return session.run([OUTPUT_NAME],
                       {INPUT_NAME: frames.astype(np.float32)})[0]


def compare_with_pytorch(model: nn.Module,
                         session: Any,
                         frames: np.ndarray) -> float:
    """The largest absolute difference between onnxruntime's and
    PyTorch's forecast of ``frames``.

    Args:
        model (nn.Module): The exported model.
        session (onnxruntime.InferenceSession): Its ONNX version.
        frames (np.ndarray): float ``[B, T_in, C, H, W]`` in ``[0, 1]``.

    Returns:
        float: ``max |onnx - pytorch|`` over every predicted pixel.
    """
    with torch.no_grad():
        expected = ForecastGraph(model.cpu().eval())(
            torch.from_numpy(np.ascontiguousarray(frames,
                                                  np.float32))).numpy()
    return float(np.abs(onnx_forecast(session, frames) - expected).max())


__all__ = [
    'EXPORTERS', 'DEFAULT_OPSET', 'UNSUPPORTED_CELLS', 'OnnxExportError',
    'ForecastGraph', 'cell_types', 'check_exportable', 'export_onnx',
    'onnx_session', 'onnx_forecast', 'compare_with_pytorch'
]
