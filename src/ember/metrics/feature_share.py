"""`FeatureShare`: a `MetricCollection` whose metrics share one feature network, called once per input.

Each metric names the attribute holding its network in ``feature_network`` (a string, as torchmetrics' image
metrics do); the network of the first metric is wrapped in a `NetworkCache` and set on every metric, so the second
metric fed the same batch reuses the first one's features."""
from __future__ import annotations

import warnings
from collections import OrderedDict

from .collections import MetricCollection


class NetworkCache:
    """Calls ``network`` and keeps its last ``max_size`` results, keyed by the identity of the arguments.

    Torch parity: torchmetrics wraps ``network.forward`` in ``functools.lru_cache``, which keys torch tensors by
    identity as well; here NumPy arrays (unhashable) work too. The cache holds the arguments, so an id is never
    reused while its entry lives."""

    def __init__(self, network, max_size=100):
        self.network, self.max_size = network, max_size
        self._cache: OrderedDict = OrderedDict()

    def __call__(self, *args, **kwargs):
        key = tuple(id(a) for a in args) + tuple((k, id(v)) for k, v in sorted(kwargs.items()))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key][1]
        out = self.network(*args, **kwargs)
        self._cache[key] = ((args, kwargs), out)
        if len(self._cache) > self.max_size:
            self._cache.popitem(last=False)
        return out

    def __repr__(self):
        return f"NetworkCache({self.network!r}, max_size={self.max_size})"


class FeatureShare(MetricCollection):
    """Metrics sharing one cached feature network (torchmetrics.wrappers.FeatureShare); compute groups are off.

    Args:
        metrics: a Metric, a sequence or a dict of metrics, each with a ``feature_network`` attribute naming the
            attribute that holds its network.
        max_cache_size: how many results the shared network keeps. Default: the number of metrics.
    """

    def __init__(self, metrics, max_cache_size=None):
        super().__init__(metrics=metrics, compute_groups=False)
        if max_cache_size is None:
            max_cache_size = len(self)
        if not isinstance(max_cache_size, int):
            raise TypeError(f"max_cache_size should be an integer, but got {max_cache_size}")
        first = next(iter(self.values()))
        if not hasattr(first, "feature_network"):
            raise AttributeError("Tried to extract the network to share from the first metric, but it did not have a "
                                 "`feature_network` attribute. Please make sure that the metric has an attribute with "
                                 "that name, else it cannot be shared.")
        if not isinstance(first.feature_network, str):
            raise TypeError("The `feature_network` attribute must be a string representing the network name.")
        shared = getattr(first, first.feature_network)
        cached = NetworkCache(shared, max_size=max_cache_size)
        for name, metric in self.items():
            if not hasattr(metric, "feature_network"):
                raise AttributeError("Tried to set the cached network to all metrics, but one of the metrics did not "
                                     "have a `feature_network` attribute. Please make sure that all metrics have a "
                                     f"attribute with that name, else it cannot be shared. Failed on metric {name}.")
            if not isinstance(metric.feature_network, str):
                raise TypeError(f"Metric {name}'s `feature_network` attribute must be a string.")
            if str(getattr(metric, metric.feature_network)) != str(shared):
                warnings.warn(f"The network to share between the metrics is not the same for all metrics. Metric "
                              f"{name} has a different network than the first metric. This may lead to unexpected "
                              "behavior.", UserWarning)
            setattr(metric, metric.feature_network, cached)
