"""``ember.backends.openmp``: answers as torch's CPU build (``is_available()`` True); ember's threads: ``set_num_threads``."""


def is_available() -> bool:
    return True
