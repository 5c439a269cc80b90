"""``ember.utils``: utilities with torch's names (``ember.utils.data``, ``ember.utils.hooks``)."""
from . import data, hooks

__all__ = ["data", "hooks"]
