"""Delayed values: placeholders resolved with ``.get()`` when a task runs (``Delayed(x)`` hashes exactly like x)."""


def _resolve(value):
    return value.get() if isinstance(value, DelayedBase) else value


class DelayedBase:
    """Base of everything resolved late; supports arithmetic and formatting that build new delayed values."""

    def get(self):
        raise NotImplementedError

    def __add__(self, other):
        return DelayedAdd(self, other)

    def __radd__(self, other):
        return DelayedAdd(other, self)

    def __mul__(self, other):
        return DelayedMul(self, other)

    def __rmul__(self, other):
        return DelayedMul(other, self)

    def __sub__(self, other):
        return DelayedSub(self, other)

    def __truediv__(self, other):
        return DelayedDiv(self, other)

    def __getitem__(self, key):
        return DelayedGetItem(self, key)

    def format(self, *args, **kwargs):
        return DelayedFormat(self, *args, **kwargs)

    def fformat(self, *args, **kwargs):
        return DelayedFormat(self, *args, **kwargs)


class Delayed(DelayedBase):
    """Wraps a value (or another delayed value); hashes exactly like the wrapped value."""

    def __init__(self, value):
        self.a = value

    def _sis_hash(self):
        from sislite.hash import sis_hash_helper

        return sis_hash_helper(self.a)

    def get(self):
        return _resolve(self.a)


class _BinaryOp(DelayedBase):
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def get(self):
        return self._apply(_resolve(self.a), _resolve(self.b))


class DelayedAdd(_BinaryOp):
    @staticmethod
    def _apply(a, b):
        return a + b


class DelayedSub(_BinaryOp):
    @staticmethod
    def _apply(a, b):
        return a - b


class DelayedMul(_BinaryOp):
    @staticmethod
    def _apply(a, b):
        return a * b


class DelayedDiv(_BinaryOp):
    @staticmethod
    def _apply(a, b):
        return a / b


class DelayedGetItem(_BinaryOp):
    @staticmethod
    def _apply(a, b):
        return a[b]


class DelayedFormat(DelayedBase):
    """``string.format(*args, **kwargs)`` with delayed arguments resolved when read."""

    def __init__(self, string, *args, **kwargs):
        self.string = string
        self.args = args
        self.kwargs = kwargs

    def get(self):
        return _resolve(self.string).format(*[_resolve(a) for a in self.args],
                                            **{k: _resolve(v) for k, v in self.kwargs.items()})
