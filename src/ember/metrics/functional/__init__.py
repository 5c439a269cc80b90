"""Functional metrics (torchmetrics.functional): pure functions of (preds, target) returning ember tensors."""
from .classification import *  # noqa: F401,F403
from .classification import __all__ as _classification_all
from .regression import (cosine_similarity, explained_variance, kl_divergence, log_cosh_error, mean_absolute_error,
                         mean_absolute_percentage_error, mean_squared_error, mean_squared_log_error, pearson_corrcoef,
                         r2_score, spearman_corrcoef, symmetric_mean_absolute_percentage_error)

__all__ = list(_classification_all) + [
    "cosine_similarity", "explained_variance", "kl_divergence", "log_cosh_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_log_error", "pearson_corrcoef", "r2_score",
    "spearman_corrcoef", "symmetric_mean_absolute_percentage_error"]
