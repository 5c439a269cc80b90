"""Pickle protocol 2, both ways, restricted to what a checkpoint needs.

``Unpickler`` runs the opcodes itself (no ``pickle.Unpickler``), on bytes already in memory,
with an explicit stack: deep nesting cannot overflow Python's recursion, every length is
checked against the bytes that remain, and ``find_class`` returns only the stand-ins of an
allow-list, so no other global can be named, imported or called. ``BUILD`` and ``NEWOBJ``
apply only to the allow-listed classes. Anything else is ``UnpicklingError`` naming the file.

``Pickler`` writes what ``torch.save`` writes: protocol 2 (the only protocol torch's
``weights_only`` loader accepts without a warning), ``GLOBAL`` + ``REDUCE`` for allow-listed
callables, ``BINPERSID`` for storages, a memo so that an object seen twice loads as one.
"""
from __future__ import annotations

import pickle
import struct
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from ._source import UnpicklingError

_unpack_i, _unpack_I, _unpack_H = struct.Struct("<i").unpack_from, struct.Struct("<I").unpack_from, \
    struct.Struct("<H").unpack_from
_unpack_d, _unpack_Q = struct.Struct(">d").unpack_from, struct.Struct("<Q").unpack_from

_BUILDABLE = (OrderedDict, Counter)        # BUILD: update these objects' __dict__ (state dict ``_metadata``)
_NEWOBJ_OK = (OrderedDict, Counter, set)


class _Mark:
    __slots__ = ()


class Unpickler:
    """Load one pickle from ``data[pos:]``.

    Args:
        data: the bytes (bytes, or a map of the file).
        name: the file's name, for error messages.
        allowed: ``(module, name) -> stand-in``; any other global is refused.
        persistent_load: called with a ``BINPERSID`` id (a tuple); returns the storage.
        aliases: module renames applied before the look-up (``__builtin__`` -> ``builtins``).
    """

    def __init__(self, data, name: str, allowed: dict, persistent_load: Callable | None = None,
                 aliases: dict | None = None, pos: int = 0):
        self.data, self.name, self.pos = data, name, pos
        self.allowed = allowed
        self._callables = {id(v) for v in allowed.values() if callable(v)}
        self._classes = {id(v) for v in allowed.values() if isinstance(v, type)}
        self.persistent_load = persistent_load
        self.aliases = aliases or {}

    # ------------------------------------------------------------------ helpers
    def error(self, message: str) -> UnpicklingError:
        return UnpicklingError(f"{self.name}: {message}")

    def read(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise self.error(f"truncated pickle: {n} bytes wanted at byte {self.pos}, "
                             f"{len(self.data) - self.pos} left")
        out = self.data[self.pos:end]
        self.pos = end
        return bytes(out)

    def readline(self) -> str:
        end = self.data.find(b"\n", self.pos, self.pos + 4096)
        if end < 0:
            raise self.error(f"truncated pickle: unterminated GLOBAL name at byte {self.pos}")
        out = bytes(self.data[self.pos:end])
        self.pos = end + 1
        return out.decode("utf-8")

    def find_class(self, module: str, name: str):
        module = self.aliases.get(module, module)
        try:
            return self.allowed[(module, name)]
        except (KeyError, TypeError):
            raise self.error(
                f"refusing to load the global {module}.{name}: ember loads only tensors, parameters, "
                "OrderedDict, dtypes, torch.Size, torch.device and plain containers (torch's weights_only "
                "allow-list); nothing in the file is run") from None

    def pop_mark(self) -> list:
        stack = self.stack
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is _MARK:
                items = stack[i + 1:]
                del stack[i:]
                return items
        raise self.error("invalid pickle: no MARK on the stack")

    # ------------------------------------------------------------------ load
    def load(self) -> Any:
        self.stack: list = []
        self.memo: dict = {}
        dispatch = _DISPATCH
        try:
            while True:
                if self.pos >= len(self.data):
                    raise self.error("truncated pickle: no STOP opcode")
                op = self.data[self.pos]
                self.pos += 1
                handler = dispatch.get(op)
                if handler is None:
                    raise self.error(f"unsupported pickle opcode {bytes([op])!r} at byte {self.pos - 1}")
                if handler(self):
                    if len(self.stack) != 1:
                        raise self.error("invalid pickle: the stack does not hold one object at STOP")
                    return self.stack.pop()
        except UnpicklingError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, OverflowError, struct.error,
                UnicodeDecodeError, MemoryError) as err:
            raise self.error(f"invalid pickle data near byte {self.pos}: {type(err).__name__}: {err}") from None

    # opcodes (each returns True only at STOP)
    def _proto(self):
        if self.read(1)[0] > 5:
            raise self.error("unsupported pickle protocol")

    def _frame(self):
        self.read(8)

    def _stop(self):
        return True

    def _mark(self):
        self.stack.append(_MARK)

    def _pop(self):
        self.stack.pop()

    def _pop_mark(self):
        self.pop_mark()

    def _dup(self):
        self.stack.append(self.stack[-1])

    @staticmethod
    def _push(value):
        return lambda self: self.stack.append(value)

    def _binint(self):
        self.stack.append(_unpack_i(self.read(4))[0])

    def _binint1(self):
        self.stack.append(self.read(1)[0])

    def _binint2(self):
        self.stack.append(_unpack_H(self.read(2))[0])

    def _long1(self):
        self.stack.append(pickle.decode_long(self.read(self.read(1)[0])))

    def _binfloat(self):
        self.stack.append(_unpack_d(self.read(8))[0])

    def _str(self, n):
        self.stack.append(self.read(n).decode("utf-8", "surrogatepass"))

    def _binunicode(self):
        self._str(_unpack_I(self.read(4))[0])

    def _short_binunicode(self):
        self._str(self.read(1)[0])

    def _binunicode8(self):
        self._str(_unpack_Q(self.read(8))[0])

    def _py2str(self, n):                  # Python 2 str: text if it decodes, else bytes
        raw = self.read(n)
        try:
            self.stack.append(raw.decode("ascii"))
        except UnicodeDecodeError:
            self.stack.append(raw)

    def _short_binstring(self):
        self._py2str(self.read(1)[0])

    def _binstring(self):
        self._py2str(_unpack_i(self.read(4))[0])

    def _short_binbytes(self):
        self.stack.append(self.read(self.read(1)[0]))

    def _binbytes(self):
        self.stack.append(self.read(_unpack_I(self.read(4))[0]))

    def _tuple(self):
        self.stack.append(tuple(self.pop_mark()))

    @staticmethod
    def _tuple_n(n):
        def op(self):
            if n:
                items = tuple(self.stack[-n:])
                if len(items) != n or any(i is _MARK for i in items):
                    raise self.error("invalid pickle: TUPLE of missing items")
                del self.stack[-n:]
            else:
                items = ()
            self.stack.append(items)
        return op

    def _list(self):
        self.stack.append(self.pop_mark())

    def _dict(self):
        items = self.pop_mark()
        self.stack.append(dict(zip(items[::2], items[1::2])))

    def _append(self):
        value = self.stack.pop()
        self._extend(self.stack[-1], [value])

    def _appends(self):
        items = self.pop_mark()
        self._extend(self.stack[-1], items)

    def _extend(self, target, items):
        if type(target) is not list:
            raise self.error(f"invalid pickle: APPEND to a {type(target).__name__}, not a list")
        target.extend(items)

    def _setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._update(self.stack[-1], [key, value])

    def _setitems(self):
        items = self.pop_mark()
        self._update(self.stack[-1], items)

    def _update(self, target, items):
        if type(target) not in (dict, OrderedDict, Counter):
            raise self.error(f"invalid pickle: SETITEM on a {type(target).__name__}, not a dict")
        for i in range(0, len(items) - 1, 2):
            target[items[i]] = items[i + 1]

    def _additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            raise self.error(f"invalid pickle: ADDITEMS on a {type(target).__name__}, not a set")
        target.update(items)

    def _global(self):
        module = self.readline()
        self.stack.append(self.find_class(module, self.readline()))

    def _stack_global(self):
        name, module = self.stack.pop(), self.stack.pop()
        if type(name) is not str or type(module) is not str:
            raise self.error("invalid pickle: STACK_GLOBAL needs two strings")
        self.stack.append(self.find_class(module, name))

    def _call(self, func, args):
        if id(func) not in self._callables or type(args) is not tuple:
            raise self.error(f"invalid pickle: refusing to call {type(func).__name__} {getattr(func, '__name__', '')}")
        try:
            return func(*args)
        except UnpicklingError:
            raise
        except (TypeError, ValueError, RuntimeError, OverflowError) as err:
            raise self.error(f"invalid arguments to {getattr(func, '__name__', func)}: {err}") from None

    def _reduce(self):
        args = self.stack.pop()
        self.stack[-1] = self._call(self.stack[-1], args)

    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if id(cls) not in self._classes or type(args) is not tuple:
            raise self.error(f"invalid pickle: NEWOBJ of {cls!r} is not allowed")
        self.stack.append(self._call(cls, args) if cls not in _NEWOBJ_OK else cls.__new__(cls, *args))

    def _build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in _BUILDABLE and type(state) is dict and all(type(k) is str for k in state):
            inst.__dict__.update(state)
        elif state is None or state == {}:
            pass
        else:
            raise self.error(f"invalid pickle: BUILD of a {type(inst).__name__} is not allowed")

    def _binpersid(self):
        pid = self.stack.pop()
        if self.persistent_load is None:
            raise self.error("invalid pickle: a persistent id outside a torch checkpoint")
        self.stack.append(self.persistent_load(pid))

    def _get(self, key):
        try:
            self.stack.append(self.memo[key])
        except KeyError:
            raise self.error(f"invalid pickle: memo entry {key} read before it was written") from None

    def _binget(self):
        self._get(self.read(1)[0])

    def _long_binget(self):
        self._get(_unpack_I(self.read(4))[0])

    def _binput(self):
        self.memo[self.read(1)[0]] = self.stack[-1]

    def _long_binput(self):
        self.memo[_unpack_I(self.read(4))[0]] = self.stack[-1]

    def _memoize(self):
        self.memo[len(self.memo)] = self.stack[-1]


_MARK = _Mark()
_U = Unpickler
_DISPATCH: dict[int, Callable] = {
    pickle.PROTO[0]: _U._proto, pickle.FRAME[0]: _U._frame, pickle.STOP[0]: _U._stop, pickle.MARK[0]: _U._mark,
    pickle.POP[0]: _U._pop, pickle.POP_MARK[0]: _U._pop_mark, pickle.DUP[0]: _U._dup,
    pickle.NONE[0]: _U._push(None), pickle.NEWTRUE[0]: _U._push(True), pickle.NEWFALSE[0]: _U._push(False),
    pickle.BININT[0]: _U._binint, pickle.BININT1[0]: _U._binint1, pickle.BININT2[0]: _U._binint2,
    pickle.LONG1[0]: _U._long1, pickle.BINFLOAT[0]: _U._binfloat,
    pickle.BINUNICODE[0]: _U._binunicode, pickle.SHORT_BINUNICODE[0]: _U._short_binunicode,
    pickle.BINUNICODE8[0]: _U._binunicode8, pickle.SHORT_BINSTRING[0]: _U._short_binstring,
    pickle.BINSTRING[0]: _U._binstring, pickle.SHORT_BINBYTES[0]: _U._short_binbytes,
    pickle.BINBYTES[0]: _U._binbytes,
    pickle.EMPTY_TUPLE[0]: _U._tuple_n(0), pickle.TUPLE1[0]: _U._tuple_n(1), pickle.TUPLE2[0]: _U._tuple_n(2),
    pickle.TUPLE3[0]: _U._tuple_n(3), pickle.TUPLE[0]: _U._tuple,
    pickle.EMPTY_LIST[0]: lambda self: self.stack.append([]), pickle.LIST[0]: _U._list,
    pickle.APPEND[0]: _U._append, pickle.APPENDS[0]: _U._appends,
    pickle.EMPTY_DICT[0]: lambda self: self.stack.append({}), pickle.DICT[0]: _U._dict,
    pickle.SETITEM[0]: _U._setitem, pickle.SETITEMS[0]: _U._setitems,
    pickle.EMPTY_SET[0]: lambda self: self.stack.append(set()), pickle.ADDITEMS[0]: _U._additems,
    pickle.GLOBAL[0]: _U._global, pickle.STACK_GLOBAL[0]: _U._stack_global, pickle.REDUCE[0]: _U._reduce,
    pickle.NEWOBJ[0]: _U._newobj, pickle.BUILD[0]: _U._build, pickle.BINPERSID[0]: _U._binpersid,
    pickle.BINGET[0]: _U._binget, pickle.LONG_BINGET[0]: _U._long_binget, pickle.BINPUT[0]: _U._binput,
    pickle.LONG_BINPUT[0]: _U._long_binput, pickle.MEMOIZE[0]: _U._memoize,
}
del _U


# ---------------------------------------------------------------------- writing
class Global(NamedTuple):
    """A ``GLOBAL module name`` opcode: an allow-listed callable or constant, by name."""
    module: str
    name: str


class Reduce(NamedTuple):
    """``func(*args)`` at load time, written as ``GLOBAL`` + args tuple + ``REDUCE``."""
    func: Global
    args: tuple


class Persistent(NamedTuple):
    """A persistent id (torch's storage reference), written as the id tuple + ``BINPERSID``."""
    pid: tuple


class Pickler:
    """Protocol-2 writer for plain data plus ``Global``/``Reduce``/``Persistent`` nodes.

    Args:
        translate: called with any object of another type; returns its ``Global``/``Reduce``/
            ``Persistent`` form, or None to refuse it (``TypeError``). The result is memoised
            under the original object, so one tensor saved twice loads as one.
        what: the caller's name for error messages.
    """

    def __init__(self, translate: Callable[[Any], Any], what: str):
        self.translate, self.what = translate, what
        self.out = bytearray()
        self.memo: dict[int, int] = {}
        self._keep: list = []          # objects memoised by id stay alive until the end
        self._globals: dict[Global, int] = {}
        self._next = 0

    def dumps(self, obj) -> bytes:
        self.out += b"\x80\x02"
        try:
            self.save(obj)
        except RecursionError:
            raise ValueError(f"{self.what}: the object is nested too deeply to save") from None
        self.out += pickle.STOP
        return bytes(self.out)

    def _put(self, obj=None) -> int:
        idx = self._next
        self._next += 1
        if obj is not None:
            self.memo[id(obj)] = idx
            self._keep.append(obj)
        self.out += pickle.BINPUT + bytes([idx]) if idx < 256 else pickle.LONG_BINPUT + struct.pack("<I", idx)
        return idx

    def _get(self, idx: int) -> None:
        self.out += pickle.BINGET + bytes([idx]) if idx < 256 else pickle.LONG_BINGET + struct.pack("<I", idx)

    def save(self, obj) -> None:
        idx = self.memo.get(id(obj))
        if idx is not None:
            return self._get(idx)
        t = type(obj)
        out = self.out
        if obj is None:
            out += pickle.NONE
        elif t is bool:
            out += pickle.NEWTRUE if obj else pickle.NEWFALSE
        elif t is int:
            self._int(obj)
        elif t is float:
            out += pickle.BINFLOAT + struct.pack(">d", obj)
        elif t is str:
            raw = obj.encode("utf-8", "surrogatepass")
            out += pickle.BINUNICODE + struct.pack("<I", len(raw)) + raw
        elif t is tuple:
            self._tuple(obj)
        elif t is list:
            out += pickle.EMPTY_LIST
            self._put(obj)
            self._batched(obj, pickle.APPENDS, lambda v: self.save(v))
        elif t is dict:
            out += pickle.EMPTY_DICT
            self._put(obj)
            self._items(obj)
        elif t in (OrderedDict, Counter):
            self._global(Global("collections", t.__name__))
            out += pickle.EMPTY_TUPLE + pickle.REDUCE
            self._put(obj)
            self._items(obj)
            if vars(obj):                              # e.g. a state dict's ``_metadata``
                self.save(dict(vars(obj)))
                out += pickle.BUILD
        elif t is Global:
            self._global(obj)
        elif t is Reduce:
            self._global(obj.func)
            self.save(obj.args)
            out += pickle.REDUCE
        elif t is Persistent:
            self.save(obj.pid)
            out += pickle.BINPERSID
        elif t is bytes:
            self.save(Reduce(Global("_codecs", "encode"), (obj.decode("latin1"), "latin1")))
        elif t is bytearray:
            self.save(Reduce(Global("builtins", "bytearray"), (bytes(obj),)))
        elif t is set:
            self.save(Reduce(Global("builtins", "set"), (list(obj),)))
        elif t is complex:
            self.save(Reduce(Global("builtins", "complex"), (obj.real, obj.imag)))
        else:
            node = self.translate(obj)
            if node is None:
                hint = " (save module.state_dict() instead of the module)" if hasattr(obj, "state_dict") else ""
                raise TypeError(f"{self.what} cannot store an object of type {t.__name__}{hint}: only tensors, "
                                "numbers, strings, bytes, None, dtypes, ember.Size, ember.device and "
                                "dicts/lists/tuples/sets of them")
            self.save(node)
            if id(obj) not in self.memo and t is not Global:
                self._put(obj)
            return
        if t is tuple and id(obj) not in self.memo:
            self._put(obj)

    def _int(self, v: int) -> None:
        if 0 <= v < 256:
            self.out += pickle.BININT1 + bytes([v])
        elif 0 <= v < 65536:
            self.out += pickle.BININT2 + struct.pack("<H", v)
        elif -2**31 <= v < 2**31:
            self.out += pickle.BININT + struct.pack("<i", v)
        else:
            raw = pickle.encode_long(v)
            if len(raw) > 255:
                raise ValueError(f"{self.what} cannot store an int of {v.bit_length()} bits (at most 2039)")
            self.out += pickle.LONG1 + bytes([len(raw)]) + raw

    def _tuple(self, obj: tuple) -> None:
        if not obj:
            self.out += pickle.EMPTY_TUPLE
            return
        if len(obj) <= 3:
            for v in obj:
                self.save(v)
            self.out += (pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)[len(obj) - 1]
        else:
            self.out += pickle.MARK
            for v in obj:
                self.save(v)
            self.out += pickle.TUPLE

    def _items(self, d: dict) -> None:
        def pair(kv):
            self.save(kv[0])
            self.save(kv[1])
        self._batched(list(d.items()), pickle.SETITEMS, pair)

    def _batched(self, items: list, opcode: bytes, write) -> None:
        for start in range(0, len(items), 1000):
            self.out += pickle.MARK
            for item in items[start:start + 1000]:
                write(item)
            self.out += opcode

    def _global(self, g: Global) -> None:
        idx = self._globals.get(g)
        if idx is not None:
            return self._get(idx)
        self.out += pickle.GLOBAL + f"{g.module}\n{g.name}\n".encode()
        self._globals[g] = self._put()
