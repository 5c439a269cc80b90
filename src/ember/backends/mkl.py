"""``ember.backends.mkl``: answers as torch's x86 CPU build (``is_available()`` True); ember itself uses NumPy's BLAS."""


def is_available() -> bool:
    return True
