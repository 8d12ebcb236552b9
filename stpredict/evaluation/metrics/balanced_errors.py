"""Balanced MSE and MAE (B-MSE, B-MAE) of Shi et al. 2017."""
from typing import Any, Callable, Dict, Optional, Sequence, Union

import torch

from stpredict.registry import METRICS
from ..functional import (BALANCING_BIN_EDGES, BALANCING_BIN_WEIGHTS,
                          PixelConverter, balancing_weights,
                          check_balancing_bins, frame_balanced_mae,
                          frame_balanced_mse, normalize_reductions)
from .base_frame_metric import FRAME_REDUCTION_SUFFIXES, BaseFrameMetric


class BaseBalancedError(BaseFrameMetric):
    """Errors weighted by the rain-rate bin of the true pixel (Shi et al.
    2017); subclasses set the error function and the key name.

    Conventions:

    - **Weights** come from the **true** frame only: its values are converted
      to rain rate (mm/h) with ``pixel_to_value`` (and the Z-R relation when
      the frames hold dBZ), and each pixel gets the weight of its bin:
      ``w = 1, 1, 2, 5, 10, 30`` for ``R < 0.5``, ``0.5 <= R < 2``,
      ``2 <= R < 5``, ``5 <= R < 10``, ``10 <= R < 30``, ``R >= 30``.
    - **Errors** are measured on the frame values in ``[0, 1]``, as for
      :class:`MSE` / :class:`MAE` (and the HKO-7 benchmark), not in mm/h.
    - ``reduction='frame_sum'`` (default, as in the papers) sums the weighted
      errors over the ``C * H * W`` pixels of a frame; ``'pixel_mean'``
      divides that sum by ``C * H * W`` (not by the sum of the weights).
      Then the average over frames and sequences, with per-frame curves and
      the optional ``copy_last`` baseline of :class:`BaseFrameMetric`.

    Args:
        pixel_to_value (dict): The dataset's mapping of frame values to a
            physical quantity, e.g. ``dict(type='linear', scale=70.0,
            offset=-10.0, quantity='dbz')``. Required.
        zr_relation (dict, optional): ``dict(a=..., b=...)`` of
            ``Z = a R**b``, used when the frames hold dBZ. Defaults to None
            (Marshall-Palmer, ``a=200``, ``b=1.6``).
        reduction (str | Sequence[str]): ``'frame_sum'``, ``'pixel_mean'`` or
            both as a tuple. Defaults to ``'frame_sum'``.
        bin_edges (Sequence[float]): Rain-rate bin edges in mm/h. Defaults to
            ``(0.5, 2, 5, 10, 30)``.
        bin_weights (Sequence[float]): One weight per bin. Defaults to
            ``(1, 1, 2, 5, 10, 30)``.
        baseline (str, optional): None or ``'copy_last'``. Defaults to None.
        collect_device (str): Device used to collect the results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the reported keys. Defaults to None.
        collect_dir (str, optional): Directory used to collect the results
            across ranks. Defaults to None.
    """

    #: The name of the reported keys, e.g. ``'bmse'``.
    KEY = ''
    #: The per-frame error function, ``(pred, gt, weights, reduction)``.
    ERROR_FN: Callable[..., torch.Tensor]

    def __init__(self,
                 pixel_to_value: Optional[Dict[str, Any]] = None,
                 zr_relation: Optional[Dict[str, float]] = None,
                 reduction: Union[str, Sequence[str]] = 'frame_sum',
                 bin_edges: Sequence[float] = BALANCING_BIN_EDGES,
                 bin_weights: Sequence[float] = BALANCING_BIN_WEIGHTS,
                 baseline: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            baseline=baseline,
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        if pixel_to_value is None:
            raise ValueError(
                f'{type(self).__name__} weights pixels by their rain rate, '
                "so it needs the dataset's pixel_to_value conversion, "
                f'{PixelConverter.SPEC_HELP}.')
        self.converter = PixelConverter(
            pixel_to_value, value='rain_rate', zr_relation=zr_relation)
        self.reductions = normalize_reductions(reduction)
        check_balancing_bins(bin_edges, bin_weights)
        self.bin_edges = tuple(float(edge) for edge in bin_edges)
        self.bin_weights = tuple(float(weight) for weight in bin_weights)

    def frame_values(self, pred: torch.Tensor,
                     gt: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The balanced error of every frame, for each reduction."""
        weights = balancing_weights(
            self.converter(gt), self.bin_edges, self.bin_weights)
        return {
            f'{self.KEY}_{FRAME_REDUCTION_SUFFIXES[reduction]}':
            self.ERROR_FN(pred, gt, weights, reduction)
            for reduction in self.reductions
        }


@METRICS.register_module()
class BMSE(BaseBalancedError):
    __doc__ = """Balanced mean squared error (B-MSE, Shi et al. 2017).

    Reports ``bmse_per_frame`` (``reduction='frame_sum'``: sum over the
    pixels of a frame of ``w * (pred - gt)**2``) and/or ``bmse_per_pixel``
    (``'pixel_mean'``: that sum over ``C * H * W``), with their ``_curve``
    and, with ``baseline='copy_last'``, ``_copy_last`` keys. ``w`` is the
    weight of the true pixel's rain-rate bin; see
    :class:`BaseBalancedError` for the conventions.

    Example config (HKO-7)::

        dict(type='BMSE',
             pixel_to_value=dict(type='linear', scale=70.0, offset=-10.0,
                                 quantity='dbz'),
             zr_relation=dict(a=58.53, b=1.56))
""" + BaseBalancedError.__doc__[BaseBalancedError.__doc__.index('    Args:'):]
    KEY = 'bmse'
    ERROR_FN = staticmethod(frame_balanced_mse)


@METRICS.register_module()
class BMAE(BaseBalancedError):
    __doc__ = """Balanced mean absolute error (B-MAE, Shi et al. 2017).

    Reports ``bmae_per_frame`` (``reduction='frame_sum'``: sum over the
    pixels of a frame of ``w * |pred - gt|``) and/or ``bmae_per_pixel``
    (``'pixel_mean'``), with their ``_curve`` and, with
    ``baseline='copy_last'``, ``_copy_last`` keys. See
    :class:`BaseBalancedError` for the conventions.
""" + BaseBalancedError.__doc__[BaseBalancedError.__doc__.index('    Args:'):]
    KEY = 'bmae'
    ERROR_FN = staticmethod(frame_balanced_mae)
