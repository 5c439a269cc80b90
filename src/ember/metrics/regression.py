"""Stateful regression metrics: each keeps the sums of its functional `_x_update` (or the raw values for rank and
row-wise metrics) and reduces them with the same `_x_compute`."""
from __future__ import annotations

import numpy as np

from .. import _errors
from .functional import regression as F
from .metric import Metric
from .utilities import dim_zero_cat


class _SumMetric(Metric):
    """A metric whose update returns sums: every state is a float64 sum (or an int count)."""
    is_differentiable, full_state_update, _atomic_update = True, False, True
    higher_is_better: bool | None = False

    def _sum_states(self, **shapes):
        for name, shape in shapes.items():
            dtype = np.int64 if name in ("total", "num_obs", "n_total") else np.float64
            self.add_state(name, np.zeros(shape, dtype), dist_reduce_fx="sum")


def _check_num_outputs(num_outputs):
    if not (isinstance(num_outputs, int) and num_outputs > 0):
        raise ValueError(f"Expected num_outputs to be a positive integer but got {num_outputs}")


class MeanSquaredError(_SumMetric):
    """Mean squared error Σ(ŷ − y)²/n, root MSE with ``squared=False``; torchmetrics' arguments."""
    plot_lower_bound = 0.0

    def __init__(self, squared=True, num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(squared, bool):
            raise ValueError(f"Expected argument `squared` to be a boolean but got {squared}")
        _check_num_outputs(num_outputs)
        self.squared, self.num_outputs = squared, num_outputs
        self._sum_states(sum_squared_error=(num_outputs,) if num_outputs > 1 else (), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._mean_squared_error_update(preds, target, self.num_outputs))

    def compute(self):
        return F._mean_squared_error_compute(self.sum_squared_error, self.total, self.squared)


class MeanAbsoluteError(_SumMetric):
    """Mean absolute error Σ|ŷ − y|/n; torchmetrics' arguments."""
    plot_lower_bound = 0.0

    def __init__(self, num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        _check_num_outputs(num_outputs)
        self.num_outputs = num_outputs
        self._sum_states(sum_abs_error=(num_outputs,) if num_outputs > 1 else (), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._mean_absolute_error_update(preds, target, self.num_outputs))

    def compute(self):
        return F._mean_absolute_error_compute(self.sum_abs_error, self.total)


class MeanAbsolutePercentageError(_SumMetric):
    """Mean absolute percentage error Σ|ŷ − y|/max(|y|, ε)/n."""
    plot_lower_bound = 0.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sum_states(sum_abs_per_error=(), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._mean_absolute_percentage_error_update(preds, target))

    def compute(self):
        return F._ratio_compute(self.sum_abs_per_error, self.total)


class SymmetricMeanAbsolutePercentageError(MeanAbsolutePercentageError):
    """Symmetric MAPE 2·Σ|ŷ − y|/max(|y| + |ŷ|, ε)/n."""
    plot_upper_bound = 2.0

    def update(self, preds, target) -> None:
        self._accumulate(F._symmetric_mean_absolute_percentage_error_update(preds, target))


class MeanSquaredLogError(_SumMetric):
    """Mean squared logarithmic error Σ(log(1 + ŷ) − log(1 + y))²/n."""
    plot_lower_bound = 0.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sum_states(sum_squared_log_error=(), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._mean_squared_log_error_update(preds, target))

    def compute(self):
        return F._ratio_compute(self.sum_squared_log_error, self.total)


class LogCoshError(_SumMetric):
    """Mean log-cosh error Σ log cosh(ŷ − y)/n (per output); torchmetrics' arguments."""
    plot_lower_bound = 0.0

    def __init__(self, num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        _check_num_outputs(num_outputs)
        self.num_outputs = num_outputs
        self._sum_states(sum_log_cosh_error=(num_outputs,), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._log_cosh_error_update(preds, target, self.num_outputs))

    def compute(self):
        return np.squeeze(F._ratio_compute(self.sum_log_cosh_error, self.total))


class R2Score(_SumMetric):
    """Coefficient of determination R² (``adjusted`` regressors, ``multioutput`` averaging); torchmetrics' args."""
    higher_is_better, plot_upper_bound = True, 1.0

    def __init__(self, adjusted=0, multioutput="uniform_average", **kwargs):
        super().__init__(**kwargs)
        F._check_r2_args(adjusted, multioutput)
        self.adjusted, self.multioutput = adjusted, multioutput
        self._sum_states(sum_squared_error=(), sum_error=(), residual=(), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._r2_score_update(preds, target))

    def compute(self):
        return F._r2_score_compute(self.sum_squared_error, self.sum_error, self.residual, self.total, self.adjusted,
                                   self.multioutput)


class ExplainedVariance(_SumMetric):
    """Explained variance 1 − Var(y − ŷ)/Var(y); torchmetrics' arguments."""
    higher_is_better, plot_upper_bound = True, 1.0

    def __init__(self, multioutput="uniform_average", **kwargs):
        super().__init__(**kwargs)
        if multioutput not in F.MULTIOUTPUTS:
            raise _errors.multioutput(F.MULTIOUTPUTS)
        self.multioutput = multioutput
        self._sum_states(num_obs=(), sum_error=(), sum_squared_error=(), sum_target=(), sum_squared_target=())

    def update(self, preds, target) -> None:
        self._accumulate(F._explained_variance_update(preds, target))

    def compute(self):
        return F._explained_variance_compute(self.num_obs, self.sum_error, self.sum_squared_error, self.sum_target,
                                             self.sum_squared_target, self.multioutput)


class PearsonCorrCoef(_SumMetric):
    """Pearson correlation coefficient (per output); states are float64 sums of x, y, x², y², xy.

    Torch parity: same values as torchmetrics.PearsonCorrCoef to float32 precision on well-scaled data; torchmetrics
    keeps running means and co-moments instead of raw sums (more robust when |mean| ≫ std).
    """
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        _check_num_outputs(num_outputs)
        self.num_outputs = num_outputs
        shape = (num_outputs,)
        self._sum_states(n_total=(), sum_x=shape, sum_y=shape, sum_xx=shape, sum_yy=shape, sum_xy=shape)

    def update(self, preds, target) -> None:
        self._accumulate(F._pearson_corrcoef_update(preds, target, self.num_outputs))

    def compute(self):
        return F._pearson_corrcoef_compute(self.n_total, self.sum_x, self.sum_y, self.sum_xx, self.sum_yy,
                                           self.sum_xy)


class _CatMetric(Metric):
    is_differentiable, full_state_update, _atomic_update = False, False, True

    def _cat_states(self, *names):
        for name in names:
            self.add_state(name, [], dist_reduce_fx="cat")

    def _cat(self, name):
        return dim_zero_cat(getattr(self, name))


class SpearmanCorrCoef(_CatMetric):
    """Spearman rank correlation (per output); keeps all values (``cat`` states)."""
    higher_is_better, plot_lower_bound, plot_upper_bound = True, -1.0, 1.0

    def __init__(self, num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        _check_num_outputs(num_outputs)
        self.num_outputs = num_outputs
        self._cat_states("preds", "target")

    def update(self, preds, target) -> None:
        self._accumulate(F._spearman_corrcoef_update(preds, target, self.num_outputs))

    def compute(self):
        return F._spearman_corrcoef_compute(self._cat("preds"), self._cat("target"))


class CosineSimilarity(_CatMetric):
    """Cosine similarity of each row pair, reduced by 'sum' (default), 'mean' or 'none'."""
    is_differentiable, higher_is_better, plot_upper_bound = True, True, 1.0

    def __init__(self, reduction="sum", **kwargs):
        super().__init__(**kwargs)
        F._check_reduction(reduction)
        self.reduction = reduction
        self._cat_states("preds", "target")

    def update(self, preds, target) -> None:
        self._accumulate(F._cosine_similarity_update(preds, target))

    def compute(self):
        return F._cosine_similarity_compute(self._cat("preds"), self._cat("target"), self.reduction)


class KLDivergence(Metric):
    """KL divergence KL(p‖q) of row distributions, reduced by 'mean' (default), 'sum' or 'none'."""
    is_differentiable, higher_is_better, full_state_update, _atomic_update = True, False, False, True

    def __init__(self, log_prob=False, reduction="mean", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(log_prob, bool):
            raise TypeError(f"Expected argument `log_prob` to be bool but got {log_prob}")
        F._check_reduction(reduction)
        self.log_prob, self.reduction = log_prob, reduction
        if reduction in ("mean", "sum"):
            self.add_state("measures", np.zeros(()), dist_reduce_fx="sum")
        else:
            self.add_state("measures", [], dist_reduce_fx="cat")
        self.add_state("total", np.zeros((), np.int64), dist_reduce_fx="sum")

    def update(self, p, q) -> None:
        stats = F._kld_update(p, q, self.log_prob)
        if not isinstance(self.measures, list):
            stats["measures"] = stats["measures"].sum()
        self._accumulate(stats)

    def compute(self):
        measures = dim_zero_cat(self.measures) if isinstance(self.measures, list) else self.measures
        return F._kld_compute(measures, self.total, self.reduction)


class WeightedMeanAbsolutePercentageError(_SumMetric):
    """Weighted MAPE Σ|y − ŷ| / Σ|y|."""
    plot_lower_bound = 0.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sum_states(sum_abs_error=(), sum_scale=())

    def update(self, preds, target) -> None:
        self._accumulate(F._weighted_mean_absolute_percentage_error_update(preds, target))

    def compute(self):
        return F._weighted_mean_absolute_percentage_error_compute(self.sum_abs_error, self.sum_scale)


class NormalizedRootMeanSquaredError(Metric):
    """RMSE divided by the target's mean, range, std or L2 norm over everything seen (``normalization``).

    Torch parity: same values as torchmetrics; the states are float64 sums (Σ(ŷ − y)², Σy, Σy², min, max) instead
    of torchmetrics' running mean and variance, so batches merge exactly in any order.
    """
    is_differentiable, higher_is_better, full_state_update, _atomic_update = True, False, False, True
    plot_lower_bound = 0.0

    def __init__(self, normalization="mean", num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        F._check_nrmse_normalization(normalization)
        _check_num_outputs(num_outputs)
        self.normalization, self.num_outputs = normalization, num_outputs
        shape = (num_outputs,) if num_outputs > 1 else ()
        for name in ("sum_squared_error", "sum_target", "target_squared"):
            self.add_state(name, np.zeros(shape), dist_reduce_fx="sum")
        self.add_state("total", np.zeros((), np.int64), dist_reduce_fx="sum")
        self.add_state("min_val", np.full(shape, np.inf), dist_reduce_fx="min")
        self.add_state("max_val", np.full(shape, -np.inf), dist_reduce_fx="max")

    def update(self, preds, target) -> None:
        self._accumulate(F._normalized_root_mean_squared_error_update(preds, target, self.num_outputs))

    def compute(self):
        return F._normalized_root_mean_squared_error_compute(
            self.sum_squared_error, self.total, self.min_val, self.max_val, self.sum_target, self.target_squared,
            self.normalization)


class RelativeSquaredError(_SumMetric):
    """Relative squared error Σ(y − ŷ)² / Σ(y − ȳ)² (root RSE with ``squared=False``)."""

    def __init__(self, num_outputs=1, squared=True, **kwargs):
        super().__init__(**kwargs)
        self.num_outputs, self.squared = num_outputs, squared
        shape = (num_outputs,) if num_outputs > 1 else ()
        self._sum_states(sum_squared_error=shape, sum_error=shape, residual=shape, total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._r2_score_update(preds, target))

    def compute(self):
        return F._relative_squared_error_compute(self.sum_squared_error, self.sum_error, self.residual, self.total,
                                                 self.squared)


class MinkowskiDistance(_SumMetric):
    """Minkowski distance (Σ|y − ŷ|ᵖ)^(1/p) over everything seen, p ≥ 1."""
    plot_lower_bound = 0.0

    def __init__(self, p, **kwargs):
        super().__init__(**kwargs)
        F._check_minkowski_p(p)
        self.p = p
        self._sum_states(minkowski_dist_sum=())

    def update(self, preds, targets) -> None:
        self._accumulate(F._minkowski_distance_update(preds, targets, self.p))

    def compute(self):
        return F._minkowski_distance_compute(self.minkowski_dist_sum, self.p)


class TweedieDevianceScore(_SumMetric):
    """Mean Tweedie deviance for ``power`` (see ``tweedie_deviance_score``)."""
    higher_is_better, plot_lower_bound = None, 0.0

    def __init__(self, power=0.0, **kwargs):
        super().__init__(**kwargs)
        F._check_tweedie_power(power)
        self.power = power
        self._sum_states(sum_deviance_score=())
        self.add_state("num_observations", np.zeros((), np.int64), dist_reduce_fx="sum")

    def update(self, preds, targets) -> None:
        self._accumulate(F._tweedie_deviance_score_update(preds, targets, self.power))

    def compute(self):
        return F._tweedie_deviance_score_compute(self.sum_deviance_score, self.num_observations)


class ConcordanceCorrCoef(PearsonCorrCoef):
    """Lin's concordance correlation coefficient 2·r·σx·σy / (σx² + σy² + (μx − μy)²) (per output); the states are
    Pearson's sums."""

    def compute(self):
        return F._concordance_corrcoef_compute(self.n_total, self.sum_x, self.sum_y, self.sum_xx, self.sum_yy,
                                               self.sum_xy)


class JensenShannonDivergence(KLDivergence):
    """Jensen-Shannon divergence ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, of row distributions, reduced by 'mean'
    (default), 'sum' or 'none'."""
    plot_lower_bound, plot_upper_bound = 0.0, float(np.log(2))

    def update(self, p, q) -> None:
        stats = F._jsd_update(p, q, self.log_prob)
        if not isinstance(self.measures, list):
            stats["measures"] = stats["measures"].sum()
        self._accumulate(stats)


class CriticalSuccessIndex(Metric):
    """Critical success index hits / (hits + misses + false alarms) after binarizing at ``threshold``; per
    position of ``keep_sequence_dim`` when given."""
    is_differentiable, higher_is_better, full_state_update, _atomic_update = False, True, False, True

    def __init__(self, threshold, keep_sequence_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.threshold = float(threshold)
        if keep_sequence_dim and (not isinstance(keep_sequence_dim, int) or keep_sequence_dim < 0):
            raise ValueError(f"Expected keep_sequence_dim to be a non-negative integer but got {keep_sequence_dim}")
        self.keep_sequence_dim = keep_sequence_dim
        for name in ("hits", "misses", "false_alarms"):
            if keep_sequence_dim is None:
                self.add_state(name, np.zeros((), np.int64), dist_reduce_fx="sum")
            else:
                self.add_state(name, [], dist_reduce_fx="cat")

    def update(self, preds, target) -> None:
        self._accumulate(F._critical_success_index_update(preds, target, self.threshold, self.keep_sequence_dim))

    def compute(self):
        return F._critical_success_index_compute(*(dim_zero_cat(getattr(self, n)) if self.keep_sequence_dim is not None
                                                   else getattr(self, n) for n in ("hits", "misses", "false_alarms")))


class ContinuousRankedProbabilityScore(_SumMetric):
    """Mean ensemble CRPS of ``preds`` (N, members) against ``target`` (N,)."""
    is_differentiable, plot_lower_bound = False, 0.0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._sum_states(score=(), total=())

    def update(self, preds, target) -> None:
        self._accumulate(F._crps_update(preds, target))

    def compute(self):
        return self.score / self.total


class KendallRankCorrCoef(_CatMetric):
    """Kendall's rank correlation τ (``variant`` 'a', 'b' or 'c'; with ``t_test`` also the p-value); keeps all
    values (``cat`` states)."""
    higher_is_better, plot_lower_bound, plot_upper_bound = None, 0.0, 1.0

    def __init__(self, variant="b", t_test=False, alternative="two-sided", num_outputs=1, **kwargs):
        super().__init__(**kwargs)
        F._check_kendall_args(variant, t_test, alternative)
        self.variant, self.alternative = str(variant), (str(alternative) if t_test else None)
        self.num_outputs = num_outputs
        self._cat_states("preds", "target")

    def update(self, preds, target) -> None:
        p, t = F._pair(preds, target)
        F._check_num_outputs(p, t, self.num_outputs)
        self._accumulate({"preds": p, "target": t})

    def compute(self):
        return F._kendall_corrcoef_compute(self._cat("preds"), self._cat("target"), self.variant, self.alternative)
