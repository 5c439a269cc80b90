"""Functional metrics (torchmetrics.functional): pure functions of (preds, target) returning ember tensors."""
from .classification import *  # noqa: F401,F403
from .classification import __all__ as _classification_all
from .regression import (concordance_corrcoef, continuous_ranked_probability_score, cosine_similarity,
                         critical_success_index, explained_variance, jensen_shannon_divergence, kendall_rank_corrcoef,
                         kl_divergence, log_cosh_error, mean_absolute_error, mean_absolute_percentage_error,
                         mean_squared_error, mean_squared_log_error, minkowski_distance,
                         normalized_root_mean_squared_error, pearson_corrcoef, r2_score, relative_squared_error,
                         spearman_corrcoef, symmetric_mean_absolute_percentage_error, tweedie_deviance_score,
                         weighted_mean_absolute_percentage_error)

__all__ = list(_classification_all) + [
    "concordance_corrcoef", "continuous_ranked_probability_score", "cosine_similarity", "critical_success_index",
    "explained_variance", "jensen_shannon_divergence", "kendall_rank_corrcoef", "kl_divergence", "log_cosh_error",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_log_error",
    "minkowski_distance", "normalized_root_mean_squared_error", "pearson_corrcoef", "r2_score",
    "relative_squared_error", "spearman_corrcoef", "symmetric_mean_absolute_percentage_error",
    "tweedie_deviance_score", "weighted_mean_absolute_percentage_error"]
