"""Regression metrics: each an `_x_update` (inputs -> sums) and an `_x_compute` (sums -> value).

    MSE = Σ(ŷ − y)²/n (RMSE = √MSE)        MAE = Σ|ŷ − y|/n           MSLE = Σ(log(1+ŷ) − log(1+y))²/n
    MAPE = Σ|ŷ − y| / max(|y|, ε) / n      SMAPE = 2·Σ|ŷ − y| / max(|y| + |ŷ|, ε) / n     LogCosh = Σ log cosh(ŷ − y)/n
    R² = 1 − RSS/TSS (adjusted: 1 − (1 − R²)(n − 1)/(n − k − 1))      explained variance = 1 − Var(y − ŷ)/Var(y)
    Pearson r = cov(ŷ, y)/(σ_ŷ σ_y)        Spearman ρ = Pearson r of the (average-tie) ranks
    cosine = ⟨ŷ, y⟩/(‖ŷ‖‖y‖) per row       KL(p‖q) = Σ p·log(p/q) per row
Sums are accumulated in float64; values are returned as float32 tensors.
"""
from __future__ import annotations

import threading
import warnings

import numpy as np

from ... import _errors
from .. import _kernels
from ..utilities import to_numpy, to_tensor

MULTIOUTPUTS = ("raw_values", "uniform_average", "variance_weighted")


def _pair(preds, target, keep_float32=False) -> tuple[np.ndarray, np.ndarray]:
    """Same-shape float arrays (float64 unless ``keep_float32`` and both are float32)."""
    p, t = to_numpy(preds), to_numpy(target)
    if p.shape != t.shape:
        raise _errors.shapes_differ(p.shape, t.shape)
    if keep_float32 and p.dtype == t.dtype == np.float32:
        return p, t
    return p.astype(np.float64, copy=False), t.astype(np.float64, copy=False)


def _check_num_outputs(p, t, num_outputs):
    if p.ndim > 2 or t.ndim > 2:
        raise ValueError("Expected both predictions and target to be either 1- or 2-dimensional tensors, but got "
                         f"{t.ndim} and {p.ndim}.")
    if (num_outputs == 1 and not (p.ndim == 1 or p.shape[1] == 1)) or (
            num_outputs > 1 and p.ndim > 1 and num_outputs != p.shape[1]):
        raise ValueError("Expected argument `num_outputs` to match the second dimension of input, but got "
                         f"{num_outputs} and {p.shape[1]}.")


def _per_output(p, t, num_outputs):
    return (p.reshape(-1), t.reshape(-1)) if num_outputs == 1 else (p, t)


# ------------------------------------------------------------------------------------------- mean errors
_CHUNK = 1 << 16
_scratch = threading.local()


def _sum_squared_difference(p, t):
    """Σ (p − t)² over axis 0. For long 1-D inputs the difference goes through a small reused buffer, chunk by
    chunk, each reduced by BLAS (float32 stays float32, as torch computes it): no large temporary is allocated."""
    if p.ndim == 1:
        fast = _kernels.sum_squared_difference(p, t)  # one pass, no temporary (numba, float32 only)
        if fast is not None:
            return fast
    if p.ndim > 1:
        d = p - t
        return np.einsum("ij,ij->j", d, d).astype(np.float64)
    if p.size <= 2 * _CHUNK:
        d = p - t
        return np.float64(np.dot(d, d))
    buf = getattr(_scratch, p.dtype.str, None)
    if buf is None:
        buf = np.empty(_CHUNK, p.dtype)
        setattr(_scratch, p.dtype.str, buf)
    total = 0.0
    for i in range(0, p.size, _CHUNK):
        d = np.subtract(p[i:i + _CHUNK], t[i:i + _CHUNK], out=buf[:min(_CHUNK, p.size - i)])
        total += float(np.dot(d, d))
    return np.float64(total)


def _mean_squared_error_update(preds, target, num_outputs=1) -> dict:
    p, t = _per_output(*_pair(preds, target, keep_float32=True), num_outputs)
    return {"sum_squared_error": _sum_squared_difference(p, t), "total": np.int64(t.shape[0])}


def _mean_squared_error_compute(sum_squared_error, total, squared=True):
    mse = sum_squared_error / total
    return mse if squared else np.sqrt(mse)


def _mean_absolute_error_update(preds, target, num_outputs=1) -> dict:
    p, t = _per_output(*_pair(preds, target), num_outputs)
    return {"sum_abs_error": np.abs(p - t).sum(0), "total": np.int64(t.shape[0])}


def _mean_absolute_error_compute(sum_abs_error, total):
    return sum_abs_error / total


def _mean_absolute_percentage_error_update(preds, target, epsilon=1.17e-06) -> dict:
    p, t = _pair(preds, target)
    return {"sum_abs_per_error": (np.abs(p - t) / np.maximum(np.abs(t), epsilon)).sum(), "total": np.int64(t.size)}


def _symmetric_mean_absolute_percentage_error_update(preds, target, epsilon=1.17e-06) -> dict:
    p, t = _pair(preds, target)
    err = np.abs(p - t) / np.maximum(np.abs(t) + np.abs(p), epsilon)
    return {"sum_abs_per_error": 2 * err.sum(), "total": np.int64(t.size)}


def _ratio_compute(total_error, total):
    return total_error / total


def _mean_squared_log_error_update(preds, target) -> dict:
    p, t = _pair(preds, target)
    return {"sum_squared_log_error": ((np.log1p(p) - np.log1p(t)) ** 2).sum(), "total": np.int64(t.size)}


def _log_cosh_error_update(preds, target, num_outputs=1) -> dict:
    p, t = _pair(preds, target)
    _check_num_outputs(p, t, num_outputs)
    d = p - t
    value = np.logaddexp(d, -d) - np.log(2.0)  # log cosh d without overflow
    return {"sum_log_cosh_error": value.sum(0).reshape(num_outputs), "total": np.int64(t.shape[0])}


# ---------------------------------------------------------------------------------------- R², variance
def _r2_score_update(preds, target) -> dict:
    p, t = _pair(preds, target)
    if p.ndim > 2:
        raise ValueError("Expected both prediction and target to be 1D or 2D tensors, but received tensors with "
                         f"dimension {p.shape}")
    r = t - p
    return {"sum_squared_error": (t * t).sum(0), "sum_error": t.sum(0), "residual": (r * r).sum(0),
            "total": np.int64(t.shape[0])}


def _check_r2_args(adjusted, multioutput):
    if multioutput not in MULTIOUTPUTS:
        raise _errors.multioutput(MULTIOUTPUTS)
    if not isinstance(adjusted, int) or adjusted < 0:
        raise ValueError("`adjusted` parameter should be an integer larger or equal to 0.")


def _r2_score_compute(sum_squared_error, sum_error, residual, total, adjusted=0, multioutput="uniform_average"):
    """R² per output; constant targets give 1 (perfect fit) or 0, as torchmetrics and sklearn."""
    if total < 2:
        raise ValueError("Needs at least two samples to calculate r2 score.")
    tss = sum_squared_error - sum_error * sum_error / total
    rss = np.asarray(residual, dtype=np.float64)
    cond_rss, cond_tss = ~np.isclose(rss, 0, atol=1e-4), ~np.isclose(tss, 0, atol=1e-4)
    raw = np.ones_like(rss)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(cond_rss & cond_tss, 1 - rss / tss, raw)
    raw = np.where(cond_rss & ~cond_tss, 0.0, raw)
    _check_r2_args(adjusted, multioutput)
    if multioutput == "raw_values":
        r2 = raw
    elif multioutput == "uniform_average":
        r2 = raw.mean()
    else:
        r2 = (tss / tss.sum() * raw).sum()
    if adjusted:
        if adjusted > total - 1:
            warnings.warn("More independent regressions than data points in adjusted r2 score. Falls back to "
                          "standard r2 score.", UserWarning)
        elif adjusted == total - 1:
            warnings.warn("Division by zero in adjusted r2 score. Falls back to standard r2 score.", UserWarning)
        else:
            return 1 - (1 - r2) * (total - 1) / (total - adjusted - 1)
    return r2


def _explained_variance_update(preds, target) -> dict:
    p, t = _pair(preds, target)
    d = t - p
    return {"num_obs": np.int64(p.shape[0]), "sum_error": d.sum(0), "sum_squared_error": (d * d).sum(0),
            "sum_target": t.sum(0), "sum_squared_target": (t * t).sum(0)}


def _explained_variance_compute(num_obs, sum_error, sum_squared_error, sum_target, sum_squared_target,
                                multioutput="uniform_average"):
    diff_avg = sum_error / num_obs
    numerator = sum_squared_error / num_obs - diff_avg * diff_avg
    target_avg = sum_target / num_obs
    denominator = sum_squared_target / num_obs - target_avg * target_avg
    nz_num, nz_den = numerator != 0, denominator != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(nz_num & nz_den, 1.0 - numerator / denominator, 1.0)
    scores = np.where(nz_num & ~nz_den, 0.0, scores)
    if multioutput == "raw_values":
        return scores
    if multioutput == "uniform_average":
        return np.mean(scores)
    return np.sum(denominator / denominator.sum() * scores)


# -------------------------------------------------------------------------------------- correlations
def _pearson_corrcoef_update(preds, target, num_outputs=1) -> dict:
    p, t = _pair(preds, target)
    _check_num_outputs(p, t, num_outputs)
    p, t = p.reshape(p.shape[0], -1), t.reshape(t.shape[0], -1)
    return {"n_total": np.int64(p.shape[0]), "sum_x": p.sum(0), "sum_y": t.sum(0), "sum_xx": (p * p).sum(0),
            "sum_yy": (t * t).sum(0), "sum_xy": (p * t).sum(0)}


def _pearson_corrcoef_compute(n_total, sum_x, sum_y, sum_xx, sum_yy, sum_xy):
    """r = (n·Σxy − Σx·Σy) / √((n·Σx² − (Σx)²)(n·Σy² − (Σy)²)); nan (with a warning) for a constant input."""
    n = np.float64(n_total)
    var_x, var_y = n * sum_xx - sum_x ** 2, n * sum_yy - sum_y ** 2
    cov = n * sum_xy - sum_x * sum_y
    tiny = (var_x <= 1e-12 * n * sum_xx) | (var_y <= 1e-12 * n * sum_yy)
    if tiny.any():
        warnings.warn("The variance of predictions or target is close to zero. This can cause instability in Pearson "
                      "correlationcoefficient, leading to wrong results. Setting the correlation coefficient to nan.",
                      UserWarning)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.clip(cov / np.sqrt(var_x * var_y), -1.0, 1.0)
    r = np.where(tiny, np.nan, r)
    return r.reshape(()) if r.size == 1 else r


def _rank_data(x):
    """Ranks 1..n with ties sharing their average rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size, dtype=np.float64)
    ranks[order] = np.arange(1, x.size + 1)
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    return (np.bincount(inv.ravel(), weights=ranks) / counts)[inv.ravel()]


def _spearman_corrcoef_update(preds, target, num_outputs=1) -> dict:
    p, t = to_numpy(preds), to_numpy(target)
    if p.dtype.kind != "f" or t.dtype.kind != "f":
        raise TypeError("Expected `preds` and `target` both to be floating point tensors, but got "
                        f"{p.dtype} and {t.dtype}")
    p, t = _pair(p, t)
    _check_num_outputs(p, t, num_outputs)
    return {"preds": p, "target": t}


def _spearman_corrcoef_compute(preds, target, eps=1e-6):
    if preds.ndim == 1:
        preds, target = _rank_data(preds), _rank_data(target)
    else:
        preds = np.stack([_rank_data(c) for c in preds.T], 1)
        target = np.stack([_rank_data(c) for c in target.T], 1)
    pd, td = preds - preds.mean(0), target - target.mean(0)
    cov = (pd * td).mean(0)
    return np.clip(cov / (np.sqrt((pd * pd).mean(0)) * np.sqrt((td * td).mean(0)) + eps), -1.0, 1.0)


def _cosine_similarity_update(preds, target) -> dict:
    p, t = _pair(preds, target)
    if p.ndim != 2:
        raise ValueError("Expected input to cosine similarity to be 2D tensors of shape `[N,D]` where `N` is the number"
                         f" of samples and `D` is the number of dimensions, but got tensor of shape {p.shape}")
    return {"preds": p, "target": t}


def _cosine_similarity_compute(preds, target, reduction="sum"):
    sim = (preds * target).sum(-1) / (np.linalg.norm(preds, axis=-1) * np.linalg.norm(target, axis=-1))
    return {"sum": np.sum, "mean": np.mean}.get(reduction, lambda x: x)(sim)


def _check_reduction(reduction):
    allowed = ("mean", "sum", "none", None)
    if reduction not in allowed:
        raise ValueError(f"Expected argument `reduction` to be one of {allowed} but got {reduction}")


def _kld_update(p, q, log_prob=False) -> dict:
    p, q = _pair(p, q)
    if p.ndim != 2 or q.ndim != 2:
        raise ValueError(f"Expected both p and q distribution to be 2D but got {p.ndim} and {q.ndim} respectively")
    if log_prob:
        measures = np.sum(np.exp(p) * (p - q), axis=-1)
    else:
        p, q = p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            measures = np.where(p == 0, 0.0, p * np.log(p / q)).sum(-1)
    return {"measures": measures, "total": np.int64(p.shape[0])}


def _kld_compute(measures, total, reduction="mean"):
    if reduction == "sum":
        return measures.sum()
    if reduction == "mean":
        return measures.sum() / total
    return measures


# --------------------------------------------------------------------------------------- functional forms
def mean_squared_error(preds, target, squared=True, num_outputs=1):
    """Mean squared error (root MSE with ``squared=False``); torchmetrics' arguments."""
    return to_tensor(_mean_squared_error_compute(**_mean_squared_error_update(preds, target, num_outputs), squared=squared))


def mean_absolute_error(preds, target, num_outputs=1):
    """Mean absolute error."""
    return to_tensor(_mean_absolute_error_compute(**_mean_absolute_error_update(preds, target, num_outputs)))


def mean_absolute_percentage_error(preds, target):
    """Mean absolute percentage error, |ŷ − y| / max(|y|, 1.17e-6)."""
    s = _mean_absolute_percentage_error_update(preds, target)
    return to_tensor(_ratio_compute(s["sum_abs_per_error"], s["total"]))


def symmetric_mean_absolute_percentage_error(preds, target):
    """Symmetric MAPE, 2·|ŷ − y| / max(|y| + |ŷ|, 1.17e-6)."""
    s = _symmetric_mean_absolute_percentage_error_update(preds, target)
    return to_tensor(_ratio_compute(s["sum_abs_per_error"], s["total"]))


def mean_squared_log_error(preds, target):
    """Mean squared logarithmic error."""
    s = _mean_squared_log_error_update(preds, target)
    return to_tensor(_ratio_compute(s["sum_squared_log_error"], s["total"]))


def log_cosh_error(preds, target):
    """Mean log-cosh error (per output for 2-D inputs)."""
    p = to_numpy(preds)
    s = _log_cosh_error_update(preds, target, 1 if p.ndim == 1 else p.shape[-1])
    return to_tensor(np.squeeze(_ratio_compute(s["sum_log_cosh_error"], s["total"])))


def r2_score(preds, target, adjusted=0, multioutput="uniform_average"):
    """Coefficient of determination R² (optionally adjusted for ``adjusted`` regressors)."""
    return to_tensor(_r2_score_compute(**_r2_score_update(preds, target), adjusted=adjusted, multioutput=multioutput))


def explained_variance(preds, target, multioutput="uniform_average"):
    """Explained variance score."""
    if multioutput not in MULTIOUTPUTS:
        raise _errors.multioutput(MULTIOUTPUTS)
    return to_tensor(_explained_variance_compute(**_explained_variance_update(preds, target), multioutput=multioutput))


def pearson_corrcoef(preds, target):
    """Pearson correlation coefficient (per output for 2-D inputs)."""
    p = to_numpy(preds)
    return to_tensor(_pearson_corrcoef_compute(**_pearson_corrcoef_update(preds, target,
                                                                           1 if p.ndim == 1 else p.shape[-1])))


def spearman_corrcoef(preds, target):
    """Spearman rank correlation coefficient (per output for 2-D inputs)."""
    p = to_numpy(preds)
    return to_tensor(_spearman_corrcoef_compute(**_spearman_corrcoef_update(preds, target,
                                                                             1 if p.ndim == 1 else p.shape[-1])))


def cosine_similarity(preds, target, reduction="sum"):
    """Cosine similarity of each row pair, reduced by 'sum' (default), 'mean' or 'none'."""
    _check_reduction(reduction)
    return to_tensor(_cosine_similarity_compute(**_cosine_similarity_update(preds, target), reduction=reduction))


def kl_divergence(p, q, log_prob=False, reduction="mean"):
    """KL divergence KL(p‖q) of each row pair (rows normalized unless ``log_prob``)."""
    _check_reduction(reduction)
    return to_tensor(_kld_compute(**_kld_update(p, q, log_prob), reduction=reduction))


# --------------------------------------------------------------------------- more errors and agreement scores
def _weighted_mean_absolute_percentage_error_update(preds, target) -> dict:
    p, t = _pair(preds, target)
    return {"sum_abs_error": np.abs(p - t).sum(), "sum_scale": np.abs(t).sum()}


def _weighted_mean_absolute_percentage_error_compute(sum_abs_error, sum_scale, epsilon=1.17e-06):
    """WMAPE = Σ|y − ŷ| / max(Σ|y|, ε)."""
    return sum_abs_error / max(sum_scale, epsilon)


def _check_nrmse_normalization(normalization):
    if normalization not in NRMSE_NORMALIZATIONS:
        raise ValueError("Argument `normalization` should be either 'mean', 'range', 'std' or 'l2' but got "
                         f"{normalization}")


NRMSE_NORMALIZATIONS = ("mean", "range", "std", "l2")


def _normalized_root_mean_squared_error_update(preds, target, num_outputs=1) -> dict:
    """Sums for NRMSE: squared error, count, min/max, Σy, Σy² per output (the normalizers follow from them)."""
    p, t = _per_output(*_pair(preds, target), num_outputs)
    d = p - t
    return {"sum_squared_error": (d * d).sum(0), "total": np.int64(t.shape[0]), "min_val": t.min(0),
            "max_val": t.max(0), "sum_target": t.sum(0), "target_squared": (t * t).sum(0)}


def _normalized_root_mean_squared_error_compute(sum_squared_error, total, min_val, max_val, sum_target,
                                                target_squared, normalization="mean"):
    """NRMSE = √(Σ(ŷ − y)²/n) / d, d the target's mean, range (max − min), population std or L2 norm."""
    mean = sum_target / total
    denom = {"mean": lambda: mean, "range": lambda: max_val - min_val,
             "std": lambda: np.sqrt(np.maximum(target_squared / total - mean * mean, 0.0)),
             "l2": lambda: np.sqrt(target_squared)}[normalization]()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(sum_squared_error / total) / denom


def _relative_squared_error_compute(sum_squared_error, sum_error, residual, total, squared=True):
    """RSE = Σ(y − ŷ)² / Σ(y − ȳ)² per output (its square root with ``squared=False``), averaged over outputs."""
    tss = np.maximum(sum_squared_error - sum_error * sum_error / total, np.finfo(np.float32).eps)
    rse = residual / tss
    return np.mean(rse if squared else np.sqrt(rse))


def _minkowski_distance_update(preds, target, p) -> dict:
    _check_minkowski_p(p)
    a, b = _pair(preds, target)
    return {"minkowski_dist_sum": (np.abs(a - b) ** p).sum()}


def _check_minkowski_p(p):
    if not (isinstance(p, (float, int)) and p >= 1):
        from ..utilities import TorchMetricsUserError

        raise TorchMetricsUserError(f"Argument ``p`` must be a float or int greater than 1, but got {p}")


def _minkowski_distance_compute(minkowski_dist_sum, p):
    """d = (Σ|y − ŷ|ᵖ)^(1/p)."""
    return minkowski_dist_sum ** (1.0 / p)


def _check_tweedie_power(power):
    if 0 < power < 1:
        raise ValueError(f"Deviance Score is not defined for power={power}.")


def _tweedie_deviance_score_update(preds, target, power=0.0) -> dict:
    """Σ of the unit deviance d(ŷ, y) of the Tweedie distribution with power p:
    p = 0: (y − ŷ)²;  p = 1: 2(y·log(y/ŷ) + ŷ − y);  p = 2: 2(log(ŷ/y) + y/ŷ − 1);
    else: 2(max(y, 0)^(2−p)/((1−p)(2−p)) − y·ŷ^(1−p)/(1−p) + ŷ^(2−p)/(2−p))."""
    _check_tweedie_power(power)
    p, t = _pair(preds, target)
    positive_targets = f"For power={power}, both 'preds' and 'targets' have to be strictly positive."
    with np.errstate(divide="ignore", invalid="ignore"):
        if power == 0:
            dev = (t - p) ** 2
        elif power == 1:
            if (p <= 0).any() or (t < 0).any():
                raise ValueError(f"For power={power}, 'preds' has to be strictly positive and 'targets' cannot be "
                                 "negative.")
            dev = 2 * (np.where(t == 0, 0.0, t * np.log(t / p)) + p - t)
        elif power == 2:
            if (p <= 0).any() or (t <= 0).any():
                raise ValueError(positive_targets)
            dev = 2 * (np.log(p / t) + t / p - 1)
        else:
            if power < 0:
                if (p <= 0).any():
                    raise ValueError(f"For power={power}, 'preds' has to be strictly positive.")
            elif 1 < power < 2:
                if (p <= 0).any() or (t < 0).any():
                    raise ValueError(f"For power={power}, 'targets' has to be strictly positive and 'preds' cannot "
                                     "be negative.")
            elif (p <= 0).any() or (t <= 0).any():
                raise ValueError(positive_targets)
            dev = 2 * (np.maximum(t, 0) ** (2 - power) / ((1 - power) * (2 - power))
                       - t * p ** (1 - power) / (1 - power) + p ** (2 - power) / (2 - power))
    return {"sum_deviance_score": dev.sum(), "num_observations": np.int64(dev.size)}


def _tweedie_deviance_score_compute(sum_deviance_score, num_observations):
    return sum_deviance_score / num_observations


def _concordance_corrcoef_compute(n_total, sum_x, sum_y, sum_xx, sum_yy, sum_xy):
    """Lin's concordance ρc = 2·r·σx·σy / (σx² + σy² + (μx − μy)²), r Pearson's, σ² with n − 1 (as torchmetrics)."""
    r = np.atleast_1d(_pearson_corrcoef_compute(n_total, sum_x, sum_y, sum_xx, sum_yy, sum_xy))
    n = np.float64(n_total)
    mx, my = sum_x / n, sum_y / n
    vx, vy = (sum_xx - n * mx * mx) / (n - 1), (sum_yy - n * my * my) / (n - 1)
    return 2.0 * r * np.sqrt(vx) * np.sqrt(vy) / (vx + vy + (mx - my) ** 2)


def _jsd_update(p, q, log_prob=False) -> dict:
    """JSD(p‖q) = ½·KL(p‖m) + ½·KL(q‖m) with m = (p + q)/2, per row."""
    p, q = _pair(p, q)
    if p.ndim != 2 or q.ndim != 2:
        raise ValueError(f"Expected both p and q distribution to be 2D but got {p.ndim} and {q.ndim} respectively")
    if log_prob:
        m = np.logaddexp(p, q) - np.log(2.0)
    else:
        p, q = p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
        m = (p + q) / 2
    kl = lambda a: _kld_update(a, m, log_prob)["measures"]  # noqa: E731
    return {"measures": 0.5 * kl(p) + 0.5 * kl(q), "total": np.int64(p.shape[0])}


def _critical_success_index_update(preds, target, threshold, keep_sequence_dim=None) -> dict:
    """Counts after binarizing at ``threshold`` (≥): hits (both 1), misses (target only), false alarms (preds only)."""
    p, t = to_numpy(preds), to_numpy(target)
    if p.shape != t.shape:
        raise _errors.shapes_differ(p.shape, t.shape)
    if keep_sequence_dim is None:
        axes = None
    elif not 0 <= keep_sequence_dim < p.ndim:
        raise ValueError(f"Expected keep_sequence dim to be in range [0, {p.ndim}] but got {keep_sequence_dim}")
    else:
        axes = tuple(i for i in range(p.ndim) if i != keep_sequence_dim)
    pb, tb = p >= threshold, t >= threshold
    count = lambda m: np.sum(m, axis=axes, dtype=np.int64)  # noqa: E731
    return {"hits": count(pb & tb), "misses": count(~pb & tb), "false_alarms": count(pb & ~tb)}


def _critical_success_index_compute(hits, misses, false_alarms):
    """CSI = hits / (hits + misses + false alarms), 0 where nothing was observed or forecast."""
    from ..utilities import safe_divide

    return safe_divide(hits, hits + misses + false_alarms)


def _crps_update(preds, target) -> dict:
    """Ensemble CRPS per sample: (1/M)·Σ_j|x_j − y| − (1/(2M²))·Σ_jk|x_j − x_k| (preds (N, M), target (N,))."""
    p, t = to_numpy(preds).astype(np.float64), to_numpy(target).astype(np.float64)
    if p.ndim != 2 or p.shape[:1] != t.shape:
        raise _errors.shapes_differ(p.shape[:1] + p.shape[2:], t.shape)
    n, m = p.shape
    if m < 2:
        raise ValueError(f"CRPS requires at least 2 ensemble members, but you provided {tuple(p.shape)}.")
    x = np.sort(p, axis=1)
    diff = np.abs(x - t[:, None]).sum(1) / m
    # Σ_jk |x_j − x_k| of sorted members = 2·Σ_j (2j − m + 1)·x_j  (j from 0)
    spread = 2 * (x * (2 * np.arange(m) - m + 1)).sum(1) / (2 * m * m)
    return {"score": (diff - spread).sum(), "total": np.int64(n)}


def _kendall_pair_counts(x, y):
    """Concordant and discordant pair counts of two 1-D sequences (sign(xᵢ − xⱼ)·sign(yᵢ − yⱼ) > 0 or < 0, i < j),
    in row blocks so memory stays O(n·block)."""
    n, block = x.size, 512
    con = dis = 0
    for start in range(0, n, block):
        i = slice(start, min(start + block, n))
        s = np.sign(x[i, None] - x[None, :]) * np.sign(y[i, None] - y[None, :])
        s = np.triu(s, k=1 + start)  # keep j > i
        con += int((s > 0).sum())
        dis += int((s < 0).sum())
    return con, dis


def _tie_sums(x):
    """Σ t(t−1)/2, Σ t(t−1)(t−2), Σ t(t−1)(2t+5) over the groups of t tied values."""
    _, t = np.unique(x, return_counts=True)
    t = t[t > 1].astype(np.float64)
    return (t * (t - 1) // 2).sum(), (t * (t - 1) * (t - 2)).sum(), (t * (t - 1) * (2 * t + 5)).sum()


KENDALL_VARIANTS = ("a", "b", "c")
KENDALL_ALTERNATIVES = ("two-sided", "less", "greater")


def _check_kendall_args(variant, t_test, alternative):
    if str(variant) not in KENDALL_VARIANTS:
        raise ValueError(f"Invalid variant, expected one of {KENDALL_VARIANTS}, but got {variant}.")
    if not isinstance(t_test, bool):
        raise ValueError(f"Argument `t_test` is expected to be of a type `bool`, but got {type(t_test)}.")
    if t_test and alternative is None:
        raise ValueError("Argument `alternative` is required if `t_test=True` but got `None`.")
    if t_test and str(alternative) not in KENDALL_ALTERNATIVES:
        raise ValueError(f"Invalid alternative, expected one of {KENDALL_ALTERNATIVES}, but got {alternative}.")


def _kendall_one(x, y, variant, alternative):
    """Kendall's τ of one output from C concordant and D discordant pairs: τa = (C − D)/(C + D) (as torchmetrics),
    τb = (C − D)/√((n₀ − n₁)(n₀ − n₂)) with n₀ = n(n − 1)/2 and n₁, n₂ the tied pairs, τc = 2(C − D)/(n²(m − 1)/m)
    with m the smaller number of distinct values; with ``alternative`` also the p-value of the normal-approximation
    test. Reference: Kendall, "The treatment of ties in ranking problems", Biometrika 1945."""
    import math

    con, dis = _kendall_pair_counts(x, y)
    s, n = con - dis, x.size
    tx, tx1, tx2 = _tie_sums(x) if variant != "a" else (0.0, 0.0, 0.0)
    ty, ty1, ty2 = _tie_sums(y) if variant != "a" else (0.0, 0.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if variant == "a":
            tau = np.float64(s) / (con + dis)
        elif variant == "b":
            n0 = n * (n - 1) // 2
            tau = s / np.sqrt(np.float64((n0 - tx) * (n0 - ty)))
        else:
            m = min(np.unique(x).size, np.unique(y).size)
            tau = 2 * s / ((m - 1) / m * np.float64(n) ** 2)
        if alternative is None:
            return tau, None
        base = np.float64(n * (n - 1) * (2 * n + 5))
        if variant == "a":
            z = 3 * s / np.sqrt(base / 2)
        else:
            m2 = np.float64(n * (n - 1))
            var = (base - tx2 - ty2) / 18 + 2 * tx * ty / m2 + tx1 * ty1 / (9 * m2 * (n - 2))
            z = s / np.sqrt(var)
    if np.isnan(z):
        return tau, np.float64(np.nan)
    if alternative == "two-sided":
        z = abs(z)
    if alternative in ("two-sided", "greater"):
        z = -z
    p = 0.5 * math.erfc(-z / math.sqrt(2))  # Φ(z)
    return tau, np.float64(2 * p if alternative == "two-sided" else p)


def _kendall_corrcoef_compute(preds, target, variant="b", alternative=None):
    p, t = preds.reshape(preds.shape[0], -1), target.reshape(target.shape[0], -1)
    out = [_kendall_one(p[:, j], t[:, j], str(variant), alternative) for j in range(p.shape[1])]
    tau = np.array([o[0] for o in out])
    pv = None if alternative is None else np.array([o[1] for o in out])
    if tau.size == 1:
        tau = tau.reshape(())
        pv = None if pv is None else pv.reshape(())
    return tau if pv is None else (tau, pv)


def weighted_mean_absolute_percentage_error(preds, target):
    """Weighted MAPE, Σ|y − ŷ| / Σ|y| (denominator at least 1.17e-6)."""
    return to_tensor(_weighted_mean_absolute_percentage_error_compute(
        **_weighted_mean_absolute_percentage_error_update(preds, target)))


def normalized_root_mean_squared_error(preds, target, normalization="mean", num_outputs=1):
    """RMSE divided by the target's mean, range, std or L2 norm (``normalization``), per output."""
    _check_nrmse_normalization(normalization)
    s = _normalized_root_mean_squared_error_update(preds, target, num_outputs)
    return to_tensor(_normalized_root_mean_squared_error_compute(**s, normalization=normalization))


def relative_squared_error(preds, target, squared=True):
    """Relative squared error Σ(y − ŷ)² / Σ(y − ȳ)² (root RSE with ``squared=False``), averaged over outputs."""
    return to_tensor(_relative_squared_error_compute(**_r2_score_update(preds, target), squared=squared))


def minkowski_distance(preds, targets, p):
    """Minkowski distance (Σ|y − ŷ|ᵖ)^(1/p), p ≥ 1."""
    return to_tensor(_minkowski_distance_compute(**_minkowski_distance_update(preds, targets, p), p=p))


def tweedie_deviance_score(preds, targets, power=0.0):
    """Mean Tweedie deviance for ``power`` (0 normal, 1 Poisson, 2 gamma, 3 inverse Gaussian, ...)."""
    return to_tensor(_tweedie_deviance_score_compute(**_tweedie_deviance_score_update(preds, targets, power)))


def concordance_corrcoef(preds, target):
    """Lin's concordance correlation coefficient (a 1-element tensor for 1-D inputs, one per output for 2-D)."""
    p = to_numpy(preds)
    return to_tensor(_concordance_corrcoef_compute(**_pearson_corrcoef_update(preds, target,
                                                                              1 if p.ndim == 1 else p.shape[-1])))


def jensen_shannon_divergence(p, q, log_prob=False, reduction="mean"):
    """Jensen-Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, of each row pair."""
    _check_reduction(reduction)
    return to_tensor(_kld_compute(**_jsd_update(p, q, log_prob), reduction=reduction))


def critical_success_index(preds, target, threshold, keep_sequence_dim=None):
    """Critical success index (threat score) hits / (hits + misses + false alarms) at ``threshold``."""
    return to_tensor(_critical_success_index_compute(**_critical_success_index_update(preds, target, threshold,
                                                                                       keep_sequence_dim)))


def continuous_ranked_probability_score(preds, target):
    """Mean ensemble CRPS of ``preds`` (N, members) against ``target`` (N,)."""
    s = _crps_update(preds, target)
    return to_tensor(s["score"] / s["total"])


def kendall_rank_corrcoef(preds, target, variant="b", t_test=False, alternative="two-sided"):
    """Kendall's rank correlation τ (variant 'a', 'b' or 'c'); with ``t_test`` also the test's p-value.

    Torch parity: τ equals torchmetrics'; the p-value is Φ computed in float64 through erfc, so it keeps its relative
    precision for small p where torchmetrics' float32 ½(1 + erf) loses digits (they agree to about 1e-3 relative).
    """
    _check_kendall_args(variant, t_test, alternative)
    p, t = _pair(preds, target)
    _check_num_outputs(p, t, 1 if p.ndim == 1 else p.shape[-1])
    return to_tensor(_kendall_corrcoef_compute(p, t, variant, alternative if t_test else None))
