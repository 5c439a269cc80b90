"""Stochastic weight averaging utilities (torch.optim.swa_utils)."""
