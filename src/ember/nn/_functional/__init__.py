"""The implementations behind ``ember.nn.functional``, one file per family."""
