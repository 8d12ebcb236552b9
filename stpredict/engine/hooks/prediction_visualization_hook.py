"""Write pictures of forecasts and per-frame metric curves."""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from stpredict.engine.metric_logger_hook import (checkpoint_progress,
                                                 evaluated_progress)
from stpredict.registry import HOOKS
from stpredict.visualization.colormaps import (AUTO_COLORMAP_NAMES,
                                               RadarColormap, choose_colormap)
from stpredict.visualization.frame_grid import prediction_grid
from stpredict.visualization.metric_curves import (collect_curves,
                                                   plot_metric_curves)


@HOOKS.register_module()
class PredictionVisualizationHook(Hook):
    """Draw fixed samples and the per-frame metric curves of evaluations.

    **Forecast pictures.** At every validation and test the hook draws the
    same sequences (``sample_indices``, by default the first
    ``num_samples`` of the dataset), so that pictures of successive
    validations can be compared. Each picture has one row of observed
    frames, one of true future frames, one of predicted frames and one of
    the absolute error (gray, black = no error); with ``labels=True`` the
    rows are labelled (observed / truth / prediction / error), the observed
    frames numbered (1 .. T_in), the future frames captioned with their
    lead time (+1, +2, ... in units of ``lead_time_step``) and the picture
    titled ``<phase> at iteration <iter>, sample <sample_idx>``. It goes
    to the runner's
    visualizer as ``<phase>_<sample_idx>`` (``add_image`` with the current
    iteration as step: ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/
    vis_data/vis_image/<phase>_<sample_idx>_<iter>.png``,
    ``TensorboardVisBackend`` an image series) and, when ``out_dir`` is set,
    to ``out_dir/<phase>_<sample_idx>.png`` (overwritten at each
    evaluation).

    **Metric curves.** After each evaluation every metric with a per-frame
    curve (result keys ending in ``_curve``, e.g. ``mse_per_frame_curve``,
    ``ssim_curve``; the ``copy_last`` baseline is drawn dashed in the same
    panel) is plotted against the lead time, one panel per metric, into one
    picture ``<phase>_metric_curves`` sent to the visualizer. With
    ``curve_scalars=True`` the model's curve points also go to the
    visualizer's ``add_scalars`` as ``<phase>_curves/<metric>/frame_<t>``
    (``t`` from 1), so TensorBoard shows how each lead time improves over
    training.

    **Iteration.** Pictures, titles and curve points carry the training
    iteration of the weights being evaluated: the current one during
    training, the loaded checkpoint's (its ``meta['iter']``, see
    :func:`~stpredict.engine.metric_logger_hook.checkpoint_progress`) when
    a run only tests or validates (``tools/test.py``). When neither tells,
    titles say ``iteration unknown`` and the visualizer gets step 0.

    **Colours.** ``cmap='gray'`` draws frames in gray (three-channel frames
    in colour); ``cmap='radar'`` colours them by reflectivity with the radar
    palette of :mod:`stpredict.visualization.colormaps` (white below 15 dBZ,
    then blue, green, yellow, red, magenta every 5 dBZ up to 75 dBZ). The
    pixel -> dBZ conversion is ``pixel_to_value`` or, when that is None,
    the ``value_transform`` that radar datasets put in every sample's
    metainfo. ``cmap='auto'`` uses the radar palette for samples that carry
    a ``value_transform`` (or when ``pixel_to_value`` is given) and gray
    otherwise.

    Under distributed evaluation only the main process draws, so only the
    chosen samples it evaluates are drawn (with ``DefaultSampler``, rank 0
    evaluates the indices ``0, W, 2W, ...`` for ``W`` processes).

    Args:
        num_samples (int): Sequences drawn per evaluation when
            ``sample_indices`` is None: the dataset indices ``0 ..
            num_samples - 1``. Defaults to 4.
        out_dir (str, optional): Folder for PNG files of the forecasts.
            Defaults to None.
        draw_val (bool): Draw at validation. Defaults to True.
        draw_test (bool): Draw at testing. Defaults to True.
        sample_indices (Sequence[int], optional): Dataset indices of the
            sequences to draw at every evaluation. Defaults to None.
        cmap (str): ``'auto'``, ``'gray'`` or ``'radar'`` (see above).
            Defaults to ``'auto'``.
        pixel_to_value (dict, optional): Meaning of the frame values for the
            radar palette, e.g. ``dict(type='linear', scale=70.0,
            offset=-10.0, quantity='dbz')``. Defaults to None (the samples'
            ``value_transform``).
        zr_relation (dict, optional): ``dict(a=..., b=...)`` of ``Z = a *
            R**b`` for rain-rate data. Defaults to None (Marshall-Palmer).
        draw_curves (bool): Plot the per-frame metric curves. Defaults to
            True.
        curve_scalars (bool): Also log each curve point as a scalar.
            Defaults to True.
        lead_time_step (float): Lead time of one predicted frame, for the
            x-axis of the curves (e.g. 6 for 6-minute radar frames).
            Defaults to 1.
        lead_time_unit (str): Unit of the lead time. Defaults to
            ``'frame'``.
        curve_columns (int): Panels per row of the curve picture. Defaults
            to 3.
        labels (bool): Label the rows and frames of the forecast pictures
            and give them a title. Defaults to True.
    """

    priority = 'LOW'

    def __init__(self,
                 num_samples: int = 4,
                 out_dir: Optional[str] = None,
                 draw_val: bool = True,
                 draw_test: bool = True,
                 sample_indices: Optional[Sequence[int]] = None,
                 cmap: str = 'auto',
                 pixel_to_value: Optional[dict] = None,
                 zr_relation: Optional[dict] = None,
                 draw_curves: bool = True,
                 curve_scalars: bool = True,
                 lead_time_step: float = 1.0,
                 lead_time_unit: str = 'frame',
                 curve_columns: int = 3,
                 labels: bool = True) -> None:
        if cmap not in AUTO_COLORMAP_NAMES:
            raise ValueError(f'PredictionVisualizationHook: cmap must be one '
                             f'of {AUTO_COLORMAP_NAMES}, got {cmap!r}.')
        if sample_indices is None:
            if not isinstance(num_samples, int) or num_samples < 0:
                raise ValueError('PredictionVisualizationHook: num_samples '
                                 'must be a non-negative int, got '
                                 f'{num_samples!r}.')
            sample_indices = range(num_samples)
        elif isinstance(sample_indices, int) or any(
                not isinstance(i, int) or i < 0 for i in sample_indices):
            raise ValueError('PredictionVisualizationHook: sample_indices '
                             'must be a list of dataset indices (ints >= 0), '
                             f'got {sample_indices!r}.')
        if lead_time_step <= 0:
            raise ValueError('PredictionVisualizationHook: lead_time_step '
                             f'must be positive, got {lead_time_step!r}.')
        self.sample_indices = list(dict.fromkeys(sample_indices))
        self.num_samples = len(self.sample_indices)
        self.out_dir = out_dir
        self.draw_val = draw_val
        self.draw_test = draw_test
        self.cmap = cmap
        self.pixel_to_value = pixel_to_value
        self.zr_relation = zr_relation
        self.draw_curves = draw_curves
        self.curve_scalars = curve_scalars
        self.lead_time_step = lead_time_step
        self.lead_time_unit = lead_time_unit
        self.curve_columns = curve_columns
        self.labels = labels
        self._loaded: Dict[str, Optional[int]] = {}
        self._colormaps: Dict[str, RadarColormap] = {}
        if pixel_to_value is not None:
            self._radar_colormap(pixel_to_value)  # check the spec now
        self._drawn: set = set()
        self._seen = 0

    # ---------------------------------------------------------------- hooks
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint_progress(checkpoint)

    def before_val_epoch(self, runner) -> None:
        self._reset()

    def before_test_epoch(self, runner) -> None:
        self._reset()

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if self.draw_val:
            self._draw(runner, 'val', outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if self.draw_test:
            self._draw(runner, 'test', outputs)

    def after_val_epoch(self, runner,
                        metrics: Optional[Dict[str, object]] = None) -> None:
        if self.draw_val:
            self._draw_curves(runner, 'val', metrics)

    def after_test_epoch(self, runner,
                         metrics: Optional[Dict[str, object]] = None) -> None:
        if self.draw_test:
            self._draw_curves(runner, 'test', metrics)

    # -------------------------------------------------------------- helpers
    def _reset(self) -> None:
        self._drawn = set()
        self._seen = 0

    def _radar_colormap(self, spec: dict) -> RadarColormap:
        key = repr(sorted(spec.items())) if isinstance(spec, dict) else repr(
            spec)
        if key not in self._colormaps:
            self._colormaps[key] = choose_colormap(
                'radar', spec, self.zr_relation)
        return self._colormaps[key]

    def colorize(self, metainfo: dict) -> Optional[RadarColormap]:
        """The colouring of a sample with this metainfo (None: gray).

        Raises:
            ValueError: With ``cmap='radar'`` when neither ``pixel_to_value``
                nor the sample's ``value_transform`` tells what the pixel
                values mean.
        """
        spec = self.pixel_to_value
        if spec is None:
            spec = metainfo.get('value_transform')
        if self.cmap == 'radar' and spec is None:
            raise ValueError(
                "PredictionVisualizationHook(cmap='radar') needs the meaning "
                'of the pixel values, but got no pixel_to_value and sample '
                f'{metainfo.get("sample_idx")} has no value_transform in its '
                "metainfo. Give the hook pixel_to_value=dict(type='linear', "
                "scale=70.0, offset=-10.0, quantity='dbz') (your data's "
                'mapping), set value_transform in the dataset, or use '
                "cmap='gray'.")
        if self.cmap == 'gray' or spec is None:
            return None
        return self._radar_colormap(spec)

    def iteration(self, runner) -> Optional[int]:
        """The training iteration of the weights being evaluated (None:
        unknown, e.g. a checkpoint saved without it)."""
        return evaluated_progress(runner, self._loaded)

    @staticmethod
    def _title(phase: str, iteration: Optional[int]) -> str:
        if iteration is None:
            return f'{phase} (iteration unknown)'
        return f'{phase} at iteration {iteration}'

    def _draw(self, runner, phase: str, outputs: Optional[Sequence]) -> None:
        if not outputs or not is_main_process():
            return
        iteration = self.iteration(runner)
        for sample in outputs:
            index = sample.metainfo.get('sample_idx', self._seen)
            self._seen += 1
            if index not in self.sample_indices or index in self._drawn:
                continue
            image = prediction_grid(
                sample.input_frames,
                sample.pred_frames,
                sample.get_gt_frames(),
                colorize=self.colorize(sample.metainfo),
                labels=self.labels,
                title=(f'{self._title(phase, iteration)}, sample {index}'
                       if self.labels else None),
                lead_time_step=self.lead_time_step,
                lead_time_unit=self.lead_time_unit)
            name = f'{phase}_{index}'
            runner.visualizer.add_image(name, image, step=iteration or 0)
            if self.out_dir is not None:
                os.makedirs(self.out_dir, exist_ok=True)
                cv2.imwrite(
                    osp.join(self.out_dir, f'{name}.png'),
                    cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            self._drawn.add(index)

    def _draw_curves(self, runner, phase: str,
                     metrics: Optional[Dict[str, object]]) -> None:
        if not self.draw_curves or not metrics or not is_main_process():
            return
        curves = collect_curves(metrics)
        if not curves:
            return
        iteration = self.iteration(runner)
        image = plot_metric_curves(
            curves,
            lead_time_step=self.lead_time_step,
            lead_time_unit=self.lead_time_unit,
            title=self._title(phase, iteration),
            columns=self.curve_columns)
        runner.visualizer.add_image(
            f'{phase}_metric_curves', image, step=iteration or 0)
        if self.curve_scalars:
            scalars = {
                f'{phase}_curves/{name}/frame_{t + 1:02d}': value
                for name, lines in curves.items() if 'model' in lines
                for t, value in enumerate(lines['model'])
            }
            if scalars:
                runner.visualizer.add_scalars(scalars, step=iteration or 0)
