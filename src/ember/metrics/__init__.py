"""ember.metrics: torchmetrics' API on NumPy arrays (``import ember.metrics as torchmetrics``).

Every metric has a functional form in `ember.metrics.functional` and a stateful `Metric` class; both share one
implementation (``_x_update``: inputs -> sufficient statistics, ``_x_compute``: statistics -> value).
"""
from . import functional
from .aggregation import CatMetric, MaxMetric, MeanMetric, MinMetric, RunningMean, RunningSum, SumMetric
from .classification import *  # noqa: F401,F403
from .classification import __all__ as _classification_all
from .collections import MetricCollection
from .metric import Metric
from .regression import (ConcordanceCorrCoef, ContinuousRankedProbabilityScore, CosineSimilarity,
                         CriticalSuccessIndex, ExplainedVariance, JensenShannonDivergence, KLDivergence,
                         KendallRankCorrCoef, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
                         MeanSquaredError, MeanSquaredLogError, MinkowskiDistance, NormalizedRootMeanSquaredError,
                         PearsonCorrCoef, R2Score, RelativeSquaredError, SpearmanCorrCoef,
                         SymmetricMeanAbsolutePercentageError, TweedieDevianceScore,
                         WeightedMeanAbsolutePercentageError)
from . import wrappers
from .wrappers import ClasswiseWrapper, MetricTracker, Running

__all__ = ["functional", "Metric", "MetricCollection", "ClasswiseWrapper", "MetricTracker", "Running",
           "CatMetric", "MaxMetric", "MeanMetric", "MinMetric", "RunningMean", "RunningSum", "SumMetric",
           "ConcordanceCorrCoef", "ContinuousRankedProbabilityScore", "CosineSimilarity", "CriticalSuccessIndex",
           "ExplainedVariance", "JensenShannonDivergence", "KLDivergence", "KendallRankCorrCoef",
           "LogCoshError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
           "MeanSquaredLogError", "MinkowskiDistance", "NormalizedRootMeanSquaredError", "PearsonCorrCoef",
           "R2Score", "RelativeSquaredError", "SpearmanCorrCoef", "SymmetricMeanAbsolutePercentageError",
           "TweedieDevianceScore", "WeightedMeanAbsolutePercentageError", *_classification_all]
