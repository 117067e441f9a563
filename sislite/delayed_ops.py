"""Delayed values: placeholders resolved with ``.get()`` when a task runs. Arithmetic, indexing, formatting and
calls on a delayed value (or a Path/Variable) build new delayed values, in both operand orders (``2 - delayed``).

Class and attribute names are RWTH Sisyphus' (``DelayedAdd`` with ``a``/``b``, ``DelayedFormat`` with
``string``/``args``/``kwargs``, ...): a delayed value in a job's arguments is hashed through its attributes, so these
names are part of the job id. ``Delayed(x)`` hashes exactly like ``x``.
"""

from sislite.hash import sis_hash_helper


def try_get(value):
    """``value.get()`` for a delayed value (Path, Variable, Delayed*), else ``value`` itself."""
    return value.get() if isinstance(value, DelayedBase) else value


def _is_set(value):
    return value.is_set() if isinstance(value, DelayedBase) else True


class DelayedBase:
    """Base of everything resolved late: ``a`` and ``b`` are the operands (plain or delayed values)."""

    def __init__(self, a, b=None):
        self.a = a
        self.b = b

    def is_set(self):
        """True when every delayed operand can be resolved."""
        return _is_set(self.a) and _is_set(self.b)

    def get(self):
        raise AssertionError(f"{type(self).__name__}.get() is not defined: use a subclass of DelayedBase")

    # arithmetic, both operand orders
    def __add__(self, other):
        return DelayedAdd(self, other)

    def __radd__(self, other):
        return DelayedAdd(other, self)

    def __sub__(self, other):
        return DelayedSub(self, other)

    def __rsub__(self, other):
        return DelayedSub(other, self)

    def __mul__(self, other):
        return DelayedMul(self, other)

    def __rmul__(self, other):
        return DelayedMul(other, self)

    def __truediv__(self, other):
        return DelayedTrueDiv(self, other)

    def __rtruediv__(self, other):
        return DelayedTrueDiv(other, self)

    def __floordiv__(self, other):
        return DelayedFloorDiv(self, other)

    def __rfloordiv__(self, other):
        return DelayedFloorDiv(other, self)

    def __mod__(self, other):
        return DelayedMod(self, other)

    def __rmod__(self, other):
        return DelayedMod(other, self)

    def __pow__(self, other, modulo=None):
        power = DelayedPow(self, other)
        return power if modulo is None else DelayedMod(power, modulo)

    def __rpow__(self, other):
        return DelayedPow(other, self)

    def __round__(self, ndigits=None):
        return DelayedRound(self, ndigits)

    def __getitem__(self, key):
        return DelayedGetItem(self, key)

    def __call__(self, *args, **kwargs):
        return DelayedFunctionV2(self, args, kwargs)

    # strings and functions
    def format(self, *args, **kwargs):
        """``self.format(*args, **kwargs)`` once resolved."""
        return DelayedFormat(self, *args, **kwargs)

    fformat = format

    def rformat(self, template, *args, **kwargs):
        """``template.format(self, *args, **kwargs)`` once resolved."""
        return DelayedFormat(template, self, *args, **kwargs)

    def replace(self, *args, **kwargs):
        return DelayedReplace(self, *args, **kwargs)

    def function(self, func, *args, **kwargs):
        """``func(resolved self, *args, **kwargs)``; ``func`` must be a named function (it is hashed)."""
        return DelayedFunction(self, func, *args, **kwargs)

    def fallback(self, value):
        """This value once it is set, ``value`` until then."""
        return DelayedFallback(self, value)

    def __str__(self):
        return str(self.get())

    def __repr__(self):
        """The resolved value as text (as RWTH Sisyphus); ``<DelayedX unset>`` while it cannot be resolved."""
        try:
            return str(self.get())
        except Exception:  # noqa: BLE001 - a repr must not fail (logs, info files, debuggers)
            return f"<{type(self).__name__} unset>"


class Delayed(DelayedBase):
    """Wraps a value (or another delayed value); hashes exactly like the wrapped value."""

    def __init__(self, a):
        super().__init__(a)

    def get(self):
        return try_get(self.a)

    def _sis_hash(self):
        return sis_hash_helper(self.a)


class DelayedAdd(DelayedBase):
    def get(self):
        return try_get(self.a) + try_get(self.b)


class DelayedSub(DelayedBase):
    def get(self):
        return try_get(self.a) - try_get(self.b)


class DelayedMul(DelayedBase):
    def get(self):
        return try_get(self.a) * try_get(self.b)


class DelayedTrueDiv(DelayedBase):
    def get(self):
        return try_get(self.a) / try_get(self.b)


class DelayedFloorDiv(DelayedBase):
    def get(self):
        return try_get(self.a) // try_get(self.b)


class DelayedMod(DelayedBase):
    def get(self):
        return try_get(self.a) % try_get(self.b)


class DelayedPow(DelayedBase):
    def get(self):
        return try_get(self.a) ** try_get(self.b)


class DelayedRound(DelayedBase):
    def get(self):
        return round(try_get(self.a), try_get(self.b))


class DelayedGetItem(DelayedBase):
    def get(self):
        return try_get(self.a)[try_get(self.b)]


class DelayedFunctionBase(DelayedBase):
    """A call on a resolved ``string`` with ``args``/``kwargs``."""

    def __init__(self, string, *args, **kwargs):
        self.string = string
        self.args = args
        self.kwargs = kwargs

    def is_set(self):
        return all(_is_set(value) for value in (self.string, *self.args, *self.kwargs.values()))


class DelayedFunction(DelayedFunctionBase):
    """``func(resolved string, *args, **kwargs)``."""

    def __init__(self, string, func, *args, **kwargs):
        assert func.__name__ != "<lambda>", "a lambda cannot be hashed: give DelayedFunction a named function"
        self.func = func
        super().__init__(string, *args, **kwargs)

    def get(self):
        return self.func(try_get(self.string), *self.args, **self.kwargs)


class DelayedFormat(DelayedFunctionBase):
    """``string.format(*args, **kwargs)`` with the string and the positional arguments resolved."""

    def get(self):
        return try_get(self.string).format(*(try_get(a) for a in self.args), **self.kwargs)


class DelayedReplace(DelayedFunctionBase):
    def get(self):
        return try_get(self.string).replace(*self.args, **self.kwargs)


class DelayedFunctionV2(DelayedBase):
    """``func(*args, **kwargs)`` with the function, the argument containers and each argument resolved."""

    def __init__(self, func, args, kwargs):
        self.func = func
        self.args = args
        self.kwargs = kwargs

    def is_set(self):
        return all(_is_set(v) for v in (self.func, self.args, self.kwargs)) and all(
            _is_set(v) for v in (*try_get(self.args), *try_get(self.kwargs).values()))

    def get(self):
        args = [try_get(a) for a in try_get(self.args)]
        kwargs = {k: try_get(v) for k, v in try_get(self.kwargs).items()}
        return try_get(self.func)(*args, **kwargs)


class DelayedFallback(DelayedBase):
    """``a`` once it is set, else ``b``."""

    def get(self):
        return self.a.get() if self.a.is_set() else try_get(self.b)


class DelayedSlice(DelayedBase):
    """``iterable[index_start:index_end:step]``, every part resolved."""

    def __init__(self, iterable, index_start=0, index_end=-1, step=1):
        self.iterable = iterable
        self.index_start = index_start
        self.index_end = index_end
        self.step = step

    def is_set(self):
        return all(_is_set(v) for v in (self.iterable, self.index_start, self.index_end, self.step))

    def get(self):
        return try_get(self.iterable)[try_get(self.index_start):try_get(self.index_end):try_get(self.step)]


class DelayedJoin(DelayedBase):
    """``separator.join(resolved items of iterable)``."""

    def __init__(self, iterable, separator):
        self.iterable = iterable
        self.separator = separator

    def is_set(self):
        return all(_is_set(v) for v in self.iterable)

    def get(self):
        return self.separator.join(try_get(item) for item in self.iterable)
