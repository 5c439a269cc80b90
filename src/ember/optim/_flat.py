"""Flat buffers: the parameters, gradients and state of a built-in optimizer, one contiguous buffer each.

A built-in optimizer moves the parameters of each group into one contiguous buffer per dtype (DESIGN.md,
"Optimizers"): each parameter's storage becomes a view of it (``Tensor._relocate``), backward accumulates its
gradient into a twin buffer, and each state array is a view of a third buffer. A step is then one fused kernel call
per group and dtype, however many tensors the model has. Parameters whose ``grad`` is None are skipped (their values
and state do not change), exactly as torch skips them: the step runs the kernel over each maximal run of
consecutive parameters that have a gradient and the same scalar state.

Assigned gradients (``p.grad = t``) are adopted, as torch's DDP ``gradient_as_bucket_view`` adopts its gradients:
the first step copies ``t`` into the gradient buffer once and relocates ``t``'s storage there, so ``p.grad`` stays
``t`` (in-place changes of ``t`` are the next step's gradient) and later steps read it in place. ``t`` is adopted
only when nothing else can see its memory (its array is its own and referenced by ``t`` alone); otherwise, e.g. a
view of a larger tensor, or a tensor made by ``from_numpy``, it is copied in at every step. When ``p.grad`` is
replaced while someone still holds the old gradient, the grad setter gives the old one its own memory back
(``Tensor.grad``), so later backwards and steps never write into a tensor that is no longer the gradient.
"""
from __future__ import annotations

import sys

import numpy as np

import ember
from ember.autograd import _versions

from . import _kernels


def _references(t):
    """sys.getrefcount of tensor ``t``'s array, with the same references on the stack as in ``_adoptable``."""
    arr = t._data
    return sys.getrefcount(arr)


_SOLE = _references(ember.zeros(1))  # the count for an array that nothing but its tensor holds


def _adoptable(t):
    """True when no one but tensor ``t`` can see the memory of ``t``'s array, so that relocating it changes nothing
    anyone can observe: the array owns its memory, is writeable, and only ``t`` references it (a view of it would
    reference it too)."""
    arr = t._data  # counted as _references counts
    return arr.base is None and arr.flags.writeable and sys.getrefcount(arr) <= _SOLE


class FlatBuffers:
    """The flat buffers of one optimizer: for each param group, one :class:`Bucket` per floating dtype."""

    def __init__(self):
        self.buckets = {}  # id(group) -> list of Bucket
        self.sizes = {}  # id(group) -> number of parameters when packed

    def pack(self, opt, group):
        """(Re)build the flat buffers of ``group`` from the current parameter arrays, gradients and state."""
        by_dtype = {}
        seen = set()
        for p in group["params"]:
            if id(p) in seen:
                continue
            seen.add(id(p))
            if np.issubdtype(p._data.dtype, np.floating):
                by_dtype.setdefault(p._data.dtype, []).append(p)
        self.buckets[id(group)] = [Bucket(opt, params) for params in by_dtype.values()]
        self.sizes[id(group)] = len(group["params"])

    def plan(self, opt, group):
        """Check the group's buffers (re-packing them if the user replaced a parameter's array or a state
        tensor), then plan its update. Raises before anything observable is mutated."""
        for _ in range(2):
            buckets = self.buckets.get(id(group))
            if (buckets is None or len(group["params"]) != self.sizes.get(id(group))
                    or not all(b.intact() for b in buckets)):
                self.pack(opt, group)
                buckets = self.buckets[id(group)]
            plans = [(b, b.plan(opt, group)) for b in buckets]
            if all(plan is not None for _, plan in plans):
                return plans
            self.pack(opt, group)
        raise RuntimeError("optimizer state could not be packed into flat buffers")


class Bucket:
    """The parameters of one group and one dtype, with their values, gradients and state in flat buffers."""

    def __init__(self, opt, params):
        self.params = params
        sizes = [p._data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        dtype = params[0]._data.dtype
        total = int(self.offsets[-1])
        self.data = np.empty(total, dtype)
        self.grad = np.zeros(total, dtype)
        self.pviews, self.gviews = [], []
        for i, p in enumerate(params):
            a, b = self.offsets[i], self.offsets[i + 1]
            view = self.data[a:b].reshape(p._data.shape)
            view[...] = p._data
            gview = self.grad[a:b].reshape(view.shape)
            g = p.grad
            if g is not None and g._data is p._grad_view and g._data.shape == gview.shape:
                gview[...] = g._data  # a gradient in the previous buffer (a re-pack) moves along
                g._relocate(gview)
            p._relocate(view, gview)
            self.pviews.append(view)
            self.gviews.append(gview)
        self.arrays = {}  # state key -> flat array
        self.sviews = {}  # state key -> per-parameter views
        self.scalars = {k: np.zeros(len(params), np.float32) for k in opt._scalar_keys}
        self.created = np.zeros(len(params), bool)
        for i, p in enumerate(params):  # adopt existing state (after load_state_dict or a re-pack)
            st = opt.state.get(p)
            if st:
                self.created[i] = True
                for key in opt._scalar_keys:
                    if key in st:
                        self.scalars[key][i] = float(np.asarray(st[key]._data if isinstance(st[key], ember.Tensor)
                                                                else st[key]))
                        st[key] = ember.as_tensor(self.scalars[key][i:i + 1].reshape(()))
        for key in {k for i, p in enumerate(params) if self.created[i] for k in opt.state[p]}:
            if key in opt._scalar_keys:
                continue
            if not all(isinstance(opt.state[p].get(key), ember.Tensor) and opt.state[p][key].shape == p.shape
                       for i, p in enumerate(params) if self.created[i] and key in opt.state[p]):
                continue  # not an elementwise state tensor: leave it where it is
            self._alloc(key)
            for i, p in enumerate(params):
                st = opt.state.get(p)
                if st is not None and key in st:
                    self.sviews[key][i][...] = st[key]._data
                    st[key] = ember.as_tensor(self.sviews[key][i])

    def _alloc(self, key):
        if key not in self.arrays:
            self.arrays[key] = np.zeros_like(self.data)
            self.sviews[key] = [self.arrays[key][self.offsets[i]:self.offsets[i + 1]].reshape(v.shape)
                                for i, v in enumerate(self.pviews)]

    def intact(self):
        """True while every parameter still lives in this bucket (nobody assigned ``p.data = ...``)."""
        for p, v in zip(self.params, self.pviews):
            if p._data is not v:
                if p._data.shape == v.shape and p._data.dtype == v.dtype:
                    v[...] = p._data  # same layout: adopt the new values
                    p._relocate(v)
                else:
                    return False
        return True

    def create_state(self, opt, group, indices):
        """Create the state of parameters ``indices`` (first step with a gradient), as torch does lazily."""
        if not opt._state_keys(group) and not opt._scalar_keys:  # stateless (SGD without momentum)
            self.created[list(indices)] = True
            return
        for key in opt._state_keys(group):
            self._alloc(key)
        for i in indices:
            p = self.params[i]
            st = opt.state[p]
            for key in opt._state_keys(group):
                if key not in st:
                    view = self.sviews[key][i]
                    view[...] = opt._state_init(group, key)
                    st[key] = ember.as_tensor(view)
            for key in opt._scalar_keys:
                if key not in st:
                    self.scalars[key][i] = opt._state_init(group, key)
                    st[key] = ember.as_tensor(self.scalars[key][i:i + 1].reshape(()))
            self.created[i] = True

    def plan(self, opt, group):
        """Find the runs of consecutive parameters to update, then bring every gradient into the gradient buffer
        (adopting or copying the assigned ones); nothing else changes. None: a state tensor was replaced."""
        n = len(self.params)
        active = np.zeros(n, bool)
        outside = []  # gradients that do not lie in the gradient buffer
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            active[i] = True
            if g._data is not self.gviews[i]:
                if g._data.shape != self.gviews[i].shape:  # e.g. p.grad.data = ... of another shape
                    raise RuntimeError(
                        f"grad of shape {tuple(g._data.shape)} does not match parameter of shape "
                        f"{tuple(self.gviews[i].shape)}"
                    )
                outside.append(i)
        keys = opt._state_keys(group)
        fresh = active & ~self.created  # parameters whose state is created by this step
        for i in np.flatnonzero(active & self.created):
            st = opt.state[self.params[i]]
            for key in keys:
                t = st.get(key)
                if t is None:
                    fresh[i] = True  # e.g. SGD's momentum turned on after some steps
                elif key not in self.sviews or t._data is not self.sviews[key][i]:
                    return None  # the user replaced a state tensor: re-pack
        # group parameters into runs with the same (fresh, scalar state)
        cols = [fresh.astype(np.float32)] + [self.scalars[k] for k in opt._scalar_keys]
        runs = []
        start = None
        for i in range(n + 1):
            if start is not None and (i == n or not active[i] or any(c[i] != c[start] for c in cols)):
                runs.append((start, i))
                start = None
            if i < n and active[i] and start is None:
                start = i
        hypers = []
        for a, b in runs:
            if self.created[a]:
                scal = {k: float(self.scalars[k][a]) for k in opt._scalar_keys}
            else:  # state created by this step: start from the initial values
                scal = {k: float(np.float32(opt._state_init(group, k))) for k in opt._scalar_keys}
            hypers.append((a, b, opt._prepare(group, scal, bool(fresh[a]))))
        kernel = opt._kernel(group)
        for i in outside:  # validated: from here on nothing raises
            g, gview = self.params[i].grad, self.gviews[i]
            gview[...] = g._data
            if _adoptable(g):
                g._relocate(gview)
        return kernel, hypers, np.flatnonzero(fresh)

    def run(self, opt, group, plan):
        kernel, hypers, fresh = plan
        if len(fresh):
            self.create_state(opt, group, fresh)
        keys = opt._state_keys(group)
        for a, b, (hyper, new_scalars) in hypers:
            lo, hi = self.offsets[a], self.offsets[b]
            _kernels.apply(kernel, self.data[lo:hi], self.grad[lo:hi],
                           {k: self.arrays[k][lo:hi] for k in keys}, hyper)
            for k, v in new_scalars.items():
                self.scalars[k][a:b] = v
        if hypers:  # the parameters changed in place, as torch's optimizers change them
            _versions.bump(self.data)
