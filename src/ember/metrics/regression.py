"""Stateful regression metrics: each keeps the sums of its functional `_x_update` (or the raw values for rank and
row-wise metrics) and reduces them with the same `_x_compute`."""
from __future__ import annotations

import numpy as np

from .functional import regression as F
from .metric import Metric
from .utilities import dim_zero_cat


class _SumMetric(Metric):
    """A metric whose update returns sums: every state is a float64 sum (or an int count)."""
    is_differentiable, full_state_update, _atomic_update = True, False, True
    higher_is_better = False

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
            raise ValueError(f"Invalid input to argument `multioutput`. Choose one of the following: {F.MULTIOUTPUTS}")
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
