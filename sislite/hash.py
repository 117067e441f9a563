"""Sisyphus-compatible hashing: ``sis_hash_helper`` (the byte encoding), ``short_hash`` (12 base-62 digits of its
SHA-256) and ``get_object_state`` (the state of arbitrary objects). Bit-identical to RWTH Sisyphus (SPEC §6);
checked against ``hash_vectors.json`` by tests/sislite/test_hash_vectors.py."""

import enum
import hashlib
import sys
import types

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MAX_LEN = 4096
_BASIC = (int, float, bool, str, complex)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_BUILTIN_DESCRIPTORS = (type(str.lower), type(str.__add__))  # method_descriptor, wrapper_descriptor
_BOUND_BUILTINS = (type(len), type("".__add__))  # builtin_function_or_method, method-wrapper


def _type_tag(obj):
    if type(obj) is enum.EnumMeta:
        return b"EnumMeta"
    return type(obj).__qualname__.encode()


def _module_and_name(obj):
    module = obj.__module__
    assert module != "__main__", f"{obj!r} is defined in __main__ and cannot be hashed: move it into a module"
    assert obj.__name__ != "<lambda>", f"lambda {obj!r} cannot be hashed: use a named function"
    return module, obj.__qualname__


def sis_hash_helper(obj):
    """The bytes Sisyphus hashes for ``obj`` (SPEC §6.2)."""
    if isinstance(obj, bytes):
        parts = [b"bytes", obj]
    elif obj is None:
        parts = [b"NoneType"]
    elif type(obj) in _BASIC:
        parts = [_type_tag(obj), repr(obj).encode()]
    elif type(obj) in (list, tuple):
        parts = [_type_tag(obj)] + [sis_hash_helper(x) for x in obj]
    elif type(obj) in (set, frozenset):
        parts = [_type_tag(obj)] + sorted(sis_hash_helper(x) for x in obj)
    elif isinstance(obj, dict):
        parts = [_type_tag(obj)] + sorted(sis_hash_helper(item) for item in obj.items())
    elif isinstance(obj, (types.FunctionType, type)):
        parts = [_type_tag(obj), sis_hash_helper(_module_and_name(obj))]
    elif hasattr(obj, "_sis_hash"):
        return obj._sis_hash()
    else:
        parts = [_type_tag(obj), sis_hash_helper(get_object_state(obj))]
    encoded = b"(" + b", ".join(parts) + b")"
    if len(encoded) > _MAX_LEN:
        return hashlib.sha256(encoded).digest()
    return encoded


def _is_member_descriptor(cls_attr):
    return isinstance(cls_attr, types.MemberDescriptorType)


def _member_dict(obj):
    import inspect

    if isinstance(obj, _BOUND_BUILTINS):
        return {"__self__": obj.__self__, "__name__": obj.__name__}
    state = dict(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        for name in slots:
            if name not in state and hasattr(obj, name):
                state[name] = getattr(obj, name)
    for name in dir(obj):
        if (name.startswith("__") and name not in ("__self__", "__func__")) or name in state:
            continue
        class_attr = None
        for cls in type(obj).__mro__:
            if name in cls.__dict__:
                class_attr = cls.__dict__[name]
                break
        if class_attr is not None and not _is_member_descriptor(class_attr) and (
                inspect.isdatadescriptor(class_attr) or inspect.ismethoddescriptor(class_attr)
                or inspect.isfunction(class_attr) or isinstance(class_attr, (classmethod, staticmethod))):
            continue
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if class_attr is not None and value is class_attr:
            continue
        if hasattr(type(obj), name) and getattr(type(obj), name) is value:
            continue
        state[name] = value
    return state


def get_object_state(obj):
    """The state Sisyphus hashes for an object without ``_sis_hash`` (SPEC §6.3)."""
    if obj is None or type(obj) in _BASIC or type(obj) in _CONTAINERS:
        return obj
    if isinstance(obj, _BASIC + _CONTAINERS) and not (
            hasattr(obj, "__getnewargs_ex__") or hasattr(obj, "__getnewargs__")):
        raise TypeError(f"derived type {type(obj)} not handled yet: give it a _sis_hash or __sis_state__ method")
    if isinstance(obj, _BUILTIN_DESCRIPTORS):
        return obj.__qualname__
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    if isinstance(obj, (types.FunctionType, type)):
        return _module_and_name(obj)
    pathlib = sys.modules.get("pathlib")  # no PurePath can exist before pathlib is imported
    if pathlib is not None and isinstance(obj, pathlib.PurePath):
        return str(obj)
    args = None
    if hasattr(obj, "__getnewargs_ex__"):
        args = obj.__getnewargs_ex__()
    elif hasattr(obj, "__getnewargs__"):
        args = obj.__getnewargs__()
    if hasattr(obj, "__sis_state__"):
        state = obj.__sis_state__()
    elif getattr(type(obj), "__getstate__", None) is not getattr(object, "__getstate__", None) and hasattr(
            obj, "__getstate__"):
        state = obj.__getstate__()
    else:
        state = _member_dict(obj)
        if not state and not hasattr(obj, "__dict__") and not hasattr(obj, "__slots__"):
            assert args is not None, f"cannot hash {obj!r}: it has no state and no __getnewargs__"
            state = None
    if isinstance(obj, enum.Enum) and isinstance(state, dict):
        state.pop("_sort_order_", None)
    return state if args is None else (args, state)


def short_hash(obj, length=12, chars=_ALPHABET):
    """12 base-62 digits (least significant first) of the SHA-256 of ``sis_hash_helper(obj)``."""
    number = int.from_bytes(hashlib.sha256(sis_hash_helper(obj)).digest(), "big")
    digits = []
    for _ in range(length):
        number, rest = divmod(number, len(chars))
        digits.append(chars[rest])
    return "".join(digits)


def int_hash(obj):
    """The SHA-256 of ``sis_hash_helper(obj)`` as an integer."""
    return int.from_bytes(hashlib.sha256(sis_hash_helper(obj)).digest(), "big")


def md5(obj):
    """md5 hex digest of ``str(obj)``."""
    return hashlib.md5(str(obj).encode()).hexdigest()

