"""``ember.utils``: utilities with torch's names (``ember.utils.data``)."""
from . import data

__all__ = ["data"]
