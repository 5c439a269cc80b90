"""``ember.backends.cudnn``: torch's cuDNN flags, settable, with no effect (ember has no cuDNN).

``is_available()`` False and ``version()`` None, as torch's CPU build.
"""
benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available() -> bool:
    return False


def version():
    return None
