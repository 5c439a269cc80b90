"""``ember.backends.cpu``: the CPU's SIMD capability, as torch reports it (``get_cpu_capability``)."""
import numpy as np


def get_cpu_capability() -> str:
    """"AVX512", "AVX2" or "DEFAULT", from the features NumPy's build detected on this CPU."""
    features = getattr(np._core._multiarray_umath, "__cpu_features__", {}) if hasattr(np, "_core") else {}
    return "AVX512" if features.get("AVX512F") else "AVX2" if features.get("AVX2") else "DEFAULT"
