"""Metrics computed over ranks (uneven shards, cat states of different lengths) equal the metric over all data."""
from _mpirun import check, mpiexec


def test_metrics_over_three_ranks_equal_the_metric_over_all_data():
    check(mpiexec("metrics.py", 3, timeout=120), 3)
