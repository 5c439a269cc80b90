"""Stateful classification metrics (torchmetrics.classification)."""
from .calibration_error import BinaryCalibrationError, MulticlassCalibrationError
from .confusion_matrix import (BinaryCohenKappa, BinaryConfusionMatrix, BinaryJaccardIndex, BinaryMatthewsCorrCoef,
                               MulticlassCohenKappa, MulticlassConfusionMatrix, MulticlassJaccardIndex,
                               MulticlassMatthewsCorrCoef, MultilabelConfusionMatrix, MultilabelJaccardIndex,
                               MultilabelMatthewsCorrCoef)
from .curves import (BinaryAUROC, BinaryAveragePrecision, BinaryPrecisionRecallCurve, BinaryROC, MulticlassAUROC,
                     MulticlassAveragePrecision, MulticlassPrecisionRecallCurve, MulticlassROC, MultilabelAUROC,
                     MultilabelAveragePrecision, MultilabelPrecisionRecallCurve, MultilabelROC)
from .exact_match import MulticlassExactMatch, MultilabelExactMatch
from .stat_scores import (BinaryAccuracy, BinaryF1Score, BinaryFBetaScore, BinaryHammingDistance, BinaryPrecision,
                          BinaryRecall, BinarySpecificity, BinaryStatScores, MulticlassAccuracy, MulticlassF1Score,
                          MulticlassFBetaScore, MulticlassHammingDistance, MulticlassPrecision, MulticlassRecall,
                          MulticlassSpecificity, MulticlassStatScores, MultilabelAccuracy, MultilabelF1Score,
                          MultilabelFBetaScore, MultilabelHammingDistance, MultilabelPrecision, MultilabelRecall,
                          MultilabelSpecificity, MultilabelStatScores)
from .tasks import (AUROC, ROC, Accuracy, AveragePrecision, CalibrationError, CohenKappa, ConfusionMatrix, ExactMatch,
                    F1Score, FBetaScore, HammingDistance, JaccardIndex, MatthewsCorrCoef, Precision,
                    PrecisionRecallCurve, Recall, Specificity, StatScores)

__all__ = [n for n in dir() if n[0].isupper()]
