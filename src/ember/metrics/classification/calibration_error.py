"""Stateful calibration error: keeps per-sample confidences and correctness (``cat`` states), bins at compute."""
from __future__ import annotations

from ..functional.classification import _inputs as I
from ..functional.classification import _calibration_error as F
from ..metric import Metric
from ..utilities import dim_zero_cat


class BinaryCalibrationError(Metric):
    """Expected ('l1'), maximum ('max') or RMS ('l2') calibration error of binary probabilities."""
    is_differentiable, higher_is_better, full_state_update = False, False, False
    plot_lower_bound, plot_upper_bound = 0.0, 1.0
    _atomic_update = True
    _update_args: tuple[str, ...] = ("ignore_index", "validate_args", "input_format")

    def __init__(self, n_bins=15, norm="l1", ignore_index=None, validate_args=True, input_format="auto", **kwargs):
        super().__init__(**kwargs)
        if validate_args:
            F._check_args(n_bins, norm, ignore_index, input_format)
        self.n_bins, self.norm, self.ignore_index = n_bins, norm, ignore_index
        self.validate_args, self.input_format = validate_args, input_format
        self.add_state("confidences", [], dist_reduce_fx="cat")
        self.add_state("accuracies", [], dist_reduce_fx="cat")

    def update(self, preds, target) -> None:
        self._accumulate(F._binary_calibration_error_update(preds, target, self.ignore_index, self.input_format,
                                                            self.validate_args))

    def compute(self):
        return F._ce_compute(dim_zero_cat(self.confidences), dim_zero_cat(self.accuracies), self.n_bins, self.norm)


class MulticlassCalibrationError(BinaryCalibrationError):
    """Calibration error of the top-1 class of multiclass probabilities."""
    _update_args = ("num_classes", "ignore_index", "validate_args", "input_format")

    def __init__(self, num_classes, n_bins=15, norm="l1", ignore_index=None, validate_args=True, input_format="auto",
                 **kwargs):
        if validate_args:
            I.check_num_classes(num_classes)
        super().__init__(n_bins, norm, ignore_index, validate_args, input_format, **kwargs)
        self.num_classes = num_classes

    def update(self, preds, target) -> None:
        self._accumulate(F._multiclass_calibration_error_update(preds, target, self.num_classes, self.ignore_index,
                                                                self.input_format, self.validate_args))
