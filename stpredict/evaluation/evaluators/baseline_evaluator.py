"""An evaluator that scores naive forecasts with the model's metrics."""
import copy
from typing import Any, Dict, List, Optional, Sequence, Union

from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.structures import BaseDataElement

from stpredict.registry import EVALUATOR, METRICS
from ..baselines import BaseForecast, build_baseline_forecast

#: Key endings that stay last when a baseline name is added to a key.
KEY_ENDINGS = ('_curve', '_per_sequence')


def baseline_key(key: str, name: str) -> str:
    """The key of a baseline's value: ``<key>_<name>`` before any ending.

    ``mse_per_frame`` -> ``mse_per_frame_zeros``; ``ssim_curve`` ->
    ``ssim_zeros_curve`` (the form of the metrics' own ``copy_last`` keys).

    Args:
        key (str): The model's key, possibly ``'<prefix>/<key>'``.
        name (str): The baseline's name.

    Returns:
        str: The baseline's key.
    """
    for ending in KEY_ENDINGS:
        if key.endswith(ending):
            return f'{key[:-len(ending)]}_{name}{ending}'
    return f'{key}_{name}'


def _without_own_baseline(metric: Union[dict, BaseMetric]
                          ) -> Union[dict, BaseMetric]:
    """A copy of a metric (config) that scores no baseline of its own."""
    if isinstance(metric, dict):
        metric = dict(metric)
        metric.pop('baseline', None)
        return metric
    metric = copy.deepcopy(metric)
    if hasattr(metric, 'baseline'):
        metric.baseline = None
    return metric


@EVALUATOR.register_module()
class BaselineEvaluator(Evaluator):
    """Score the model and naive forecasts with the same metrics.

    Every metric of ``metrics`` scores the model as in mmengine's
    ``Evaluator``. For each baseline (see
    :mod:`stpredict.evaluation.baselines`) the evaluator forecasts every
    test sequence from its observed ``input_frames`` once and gives the
    forecasts to its own copy of every metric, so the baseline is scored
    exactly like the model (same frames, conventions and aggregation, DDP
    included); its results are reported under the model's keys with the
    baseline's name added: ``mse_per_frame_zeros``,
    ``ssim_optical_flow_curve``, ``csi_20dbz_train_mean``.

    With ``'copy_last'`` among the baselines, the metrics' own
    ``baseline='copy_last'`` option is switched off (the evaluator reports
    the same numbers under the same keys).

    ``tools/test.py`` wraps the config's ``test_evaluator`` in this
    evaluator with the baselines of ``test_baselines`` (or ``--baselines``).

    Args:
        metrics (dict | BaseMetric | Sequence): The metrics (configs), as
            for mmengine's ``Evaluator``.
        baselines (Sequence[str | dict]): The baselines, by name
            (``'copy_last'``, ``'zeros'``, ``'train_mean'``,
            ``'optical_flow'``) or as dicts with their options. Defaults to
            ``('copy_last', )``.
    """

    def __init__(self,
                 metrics: Union[dict, BaseMetric, Sequence],
                 baselines: Sequence[Union[str, dict]] = ('copy_last', )
                 ) -> None:
        if isinstance(baselines, (str, dict)):
            baselines = [baselines]
        forecasts: List[BaseForecast] = [
            build_baseline_forecast(spec) for spec in baselines
        ]
        names = [forecast.name for forecast in forecasts]
        if len(set(names)) != len(names):
            raise ValueError(f'BaselineEvaluator: each baseline may appear '
                             f'once, got {names}.')
        if isinstance(metrics, (dict, BaseMetric)):
            metrics = [metrics]
        metrics = list(metrics)
        model_metrics = [
            _without_own_baseline(metric) if 'copy_last' in names else
            metric for metric in metrics
        ]
        # stpredict's registry finds its metrics with or without a default
        # scope (mmengine's Evaluator builds from the root registry)
        super().__init__([
            METRICS.build(metric) if isinstance(metric, dict) else metric
            for metric in model_metrics
        ])
        self.baselines = forecasts
        self.baseline_metrics: Dict[str, List[BaseMetric]] = {}
        for forecast in forecasts:
            copies = [_without_own_baseline(metric) for metric in metrics]
            self.baseline_metrics[forecast.name] = [
                METRICS.build(metric) if isinstance(metric, dict) else metric
                for metric in copies
            ]
        # fail now (missing package, missing training data), not at the end
        for forecast in forecasts:
            forecast.prepare()

    @property
    def baseline_names(self) -> List[str]:
        """The names of the baselines, in order."""
        return [forecast.name for forecast in self.baselines]

    @Evaluator.dataset_meta.setter
    def dataset_meta(self, dataset_meta: dict) -> None:
        self._dataset_meta = dataset_meta
        for metric in self.metrics:
            metric.dataset_meta = dataset_meta
        for metrics in self.baseline_metrics.values():
            for metric in metrics:
                metric.dataset_meta = dataset_meta

    def process(self,
                data_samples: Sequence[Any],
                data_batch: Optional[Any] = None) -> None:
        """Score the model's forecasts and every baseline's.

        Args:
            data_samples (Sequence): The model's outputs, with
                ``input_frames``, ``pred_frames`` and ``gt_frames``.
            data_batch (Any, optional): The batch from the dataloader.
        """
        samples = [
            sample.to_dict() if isinstance(sample, BaseDataElement) else
            sample for sample in data_samples
        ]
        for metric in self.metrics:
            metric.process(data_batch, samples)
        for forecast in self.baselines:
            forecasts = [self._forecast(forecast, sample)
                         for sample in samples]
            for metric in self.baseline_metrics[forecast.name]:
                metric.process(data_batch, forecasts)

    @staticmethod
    def _forecast(forecast: BaseForecast, sample: dict) -> dict:
        inputs = sample.get('input_frames')
        if inputs is None:
            raise ValueError(
                f'The {forecast.name} baseline forecasts from the observed '
                'input_frames, but sample '
                f"{sample.get('sample_idx')} has none. Keep input_frames in "
                'the data samples the model returns, or test without '
                'baselines (--baselines none).')
        target = sample.get('gt_frames')
        if target is None:
            target = sample['pred_frames']
        return dict(sample,
                    pred_frames=forecast.forecast(inputs, target.shape[0]))

    def evaluate(self, size: int) -> dict:
        """The model's metrics, then each baseline's under its keys.

        Args:
            size (int): Length of the whole test set.

        Returns:
            dict: All results.
        """
        results = super().evaluate(size)
        for name, metrics in self.baseline_metrics.items():
            for metric in metrics:
                for key, value in metric.evaluate(size).items():
                    key = baseline_key(key, name)
                    if key in results:
                        raise ValueError(
                            f'BaselineEvaluator: two results named {key}; '
                            'give the metrics different prefixes.')
                    results[key] = value
        return results
