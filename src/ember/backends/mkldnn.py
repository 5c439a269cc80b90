"""``ember.backends.mkldnn``: torch's oneDNN flags; settable, with no effect on ember's NumPy kernels.

``is_available()`` answers as torch's x86 CPU build (True): programs that test it then run their CPU path.
"""
enabled = True
deterministic = False


def is_available() -> bool:
    return True
