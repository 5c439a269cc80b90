"""Functional classification metrics: ``binary_*``, ``multiclass_*``, ``multilabel_*`` and the ``task=`` wrappers."""
from ._calibration_error import binary_calibration_error, multiclass_calibration_error
from ._confusion_matrix import (binary_cohen_kappa, binary_confusion_matrix, binary_jaccard_index,
                               binary_matthews_corrcoef, multiclass_cohen_kappa, multiclass_confusion_matrix,
                               multiclass_jaccard_index, multiclass_matthews_corrcoef, multilabel_confusion_matrix,
                               multilabel_jaccard_index, multilabel_matthews_corrcoef)
from ._curves import (binary_auroc, binary_average_precision, binary_precision_recall_curve, binary_roc,
                     multiclass_auroc, multiclass_average_precision, multiclass_precision_recall_curve, multiclass_roc,
                     multilabel_auroc, multilabel_average_precision, multilabel_precision_recall_curve, multilabel_roc)
from ._exact_match import multiclass_exact_match, multilabel_exact_match
from ._stat_scores import (binary_accuracy, binary_f1_score, binary_fbeta_score, binary_hamming_distance,
                          binary_precision, binary_recall, binary_specificity, binary_stat_scores, multiclass_accuracy,
                          multiclass_f1_score, multiclass_fbeta_score, multiclass_hamming_distance,
                          multiclass_precision, multiclass_recall, multiclass_specificity, multiclass_stat_scores,
                          multilabel_accuracy, multilabel_f1_score, multilabel_fbeta_score,
                          multilabel_hamming_distance, multilabel_precision, multilabel_recall,
                          multilabel_specificity, multilabel_stat_scores)
from ._tasks import (accuracy, auroc, average_precision, calibration_error, cohen_kappa, confusion_matrix, exact_match,
                    f1_score, fbeta_score, hamming_distance, jaccard_index, matthews_corrcoef, precision,
                    precision_recall_curve, recall, roc, specificity, stat_scores)

__all__ = [name for name in dir() if not name.startswith("_") and name not in (
    "calibration_error_module", "curves", "confusion_matrix_module", "tasks")]
