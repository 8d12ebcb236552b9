"""Write pictures of observed, true and predicted frames."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from stpredict.registry import HOOKS
from stpredict.visualization.frame_grid import prediction_grid


@HOOKS.register_module()
class PredictionVisualizationHook(Hook):
    """Draw the first ``num_samples`` sequences of validation and testing.

    Each picture has one row of observed frames, one of true future frames,
    one of predicted frames and one of the absolute error. The pictures go
    to the runner's visualizer (``add_image``: local files, TensorBoard, ...)
    and, when ``out_dir`` is set, to ``out_dir`` as PNG files named
    ``<phase>_<sample_idx>.png``. Under distributed evaluation each rank
    draws its own first samples; only the main process writes files.

    Args:
        num_samples (int): Sequences drawn per evaluation (the first ones of
            the dataset, so the same every time). Defaults to 4.
        out_dir (str, optional): Folder for PNG files. Defaults to None.
        draw_val (bool): Draw at validation. Defaults to True.
        draw_test (bool): Draw at testing. Defaults to True.
    """

    priority = 'LOW'

    def __init__(self,
                 num_samples: int = 4,
                 out_dir: Optional[str] = None,
                 draw_val: bool = True,
                 draw_test: bool = True) -> None:
        self.num_samples = num_samples
        self.out_dir = out_dir
        self.draw_val = draw_val
        self.draw_test = draw_test
        self._drawn = 0

    def before_val_epoch(self, runner) -> None:
        self._drawn = 0

    def before_test_epoch(self, runner) -> None:
        self._drawn = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        if self.draw_val:
            self._draw(runner, 'val', outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if self.draw_test:
            self._draw(runner, 'test', outputs)

    def _draw(self, runner, phase: str, outputs: Optional[Sequence]) -> None:
        if not outputs or self._drawn >= self.num_samples:
            return
        for sample in outputs:
            if self._drawn >= self.num_samples:
                break
            image = prediction_grid(sample.input_frames, sample.pred_frames,
                                    sample.get_gt_frames())
            index = sample.metainfo.get('sample_idx', self._drawn)
            name = f'{phase}_{index}'
            runner.visualizer.add_image(name, image, step=runner.iter)
            if self.out_dir is not None and is_main_process():
                os.makedirs(self.out_dir, exist_ok=True)
                cv2.imwrite(
                    osp.join(self.out_dir, f'{name}.png'),
                    cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            self._drawn += 1
