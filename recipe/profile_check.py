"""Checks a profile (a nested dict of hyper-parameters) against a schema before any job is built.

A schema is a dict ``{key: Key(...) or Section(...)}``. :class:`Key` says a value's type, range or choices, whether
it may be left out (``optional=True``, or ``default=...`` which is filled in) and what it does; ``returnn=True`` marks
a key that is handed to RETURNN unchanged as the config option of the same name (tests check RETURNN reads every such
name). :class:`Section` is a nested dict with its own keys. :func:`check_profile` reports every unknown, missing or
out-of-range key at once, each with the profile's name, the closest valid key (difflib) and the file to edit, and
raises :class:`ProfileError`. :func:`schema_table` renders a schema as a Markdown table (the reference for users).
Pure Python, no heavy imports: it runs on every ``sis manager`` start.
"""

import difflib

MISSING = object()
"""Marks "no default": the key must be given unless it is ``optional``."""

_TYPE_NAMES = {bool: "True/False", int: "an int", float: "a number", str: "a string", dict: "a dict",
               tuple: "a tuple", list: "a list"}


class ProfileError(ValueError):
    """A profile that does not match its schema; the message lists every problem and where to fix it."""


class Key:
    """One profile value: ``kind`` (bool, int, float (int accepted), str, dict, tuple (list accepted), or a tuple of
    these), ``doc`` (what it does), ``min``/``max`` (inclusive), ``choices`` (allowed values; for a tuple: allowed
    items), ``nullable`` (None allowed), ``optional`` (may be absent: nothing is filled in), ``default`` (filled in
    when absent), ``returnn`` (passed to RETURNN as the config option of this name)."""

    def __init__(self, kind, doc, *, min=None, max=None, choices=None, nullable=False, optional=False,
                 default=MISSING, returnn=False):
        self.kinds = kind if isinstance(kind, tuple) else (kind,)
        self.doc, self.min, self.max, self.choices = doc, min, max, choices
        self.nullable, self.optional, self.default, self.returnn = nullable, optional, default, returnn

    @property
    def required(self):
        return not self.optional and self.default is MISSING

    def describe(self):
        """E.g. "an int >= 1", "one of 'viterbi', 'greedy'", "a tuple of items from 'frozen', 'finetuned'"."""
        names = " or ".join(_TYPE_NAMES.get(kind, kind.__name__) for kind in self.kinds)
        if self.choices is not None:
            listed = ", ".join(repr(choice) for choice in self.choices)
            names = (f"{names} of items from {listed}" if set(self.kinds) & {tuple, list}
                     else f"one of {listed}")
        if self.min is not None and self.max is not None:
            text = f"{names} from {self.min} to {self.max}"
        elif self.min is not None or self.max is not None:
            text = f"{names} >= {self.min}" if self.max is None else f"{names} <= {self.max}"
        else:
            text = names
        return text + (" or None" if self.nullable else "")

    def problem(self, value):
        """Why ``value`` does not fit, or None."""
        if value is None:
            return None if self.nullable else f"is None; expected {self.describe()}"
        if not any(_is_kind(value, kind) for kind in self.kinds):
            return f"= {value!r} is {_TYPE_NAMES.get(type(value), type(value).__name__)}; expected {self.describe()}"
        if self.choices is not None:
            items = value if isinstance(value, (tuple, list)) else (value,)
            wrong = [item for item in items if item not in self.choices]
            if wrong:
                hint = _closest(str(wrong[0]), [str(choice) for choice in self.choices])
                return (f"= {value!r}: {wrong[0]!r} is not allowed" + (f" (did you mean {hint!r}?)" if hint else "")
                        + f"; expected {self.describe()}")
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            return f"= {value!r} is out of range; expected {self.describe()}"
        return None


class Section:
    """A nested dict of the profile with its own ``keys`` (a schema); ``nullable``: None allowed instead (then
    nothing inside is checked)."""

    def __init__(self, doc, keys, *, nullable=False):
        self.doc, self.keys, self.nullable = doc, keys, nullable
        self.optional, self.default, self.returnn = False, MISSING, False

    @property
    def required(self):
        return True

    def describe(self):
        return "a dict" + (" or None" if self.nullable else "")


def _is_kind(value, kind):
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is tuple:
        return isinstance(value, (tuple, list))
    return isinstance(value, kind)


def _closest(word, candidates):
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


def _dotted_keys(schema, prefix=""):
    for key, spec in schema.items():
        yield prefix + key
        if isinstance(spec, Section):
            yield from _dotted_keys(spec.keys, f"{prefix}{key}.")


def _elsewhere(key, root):
    """Dotted names of keys in other sections whose last part is (close to) ``key``, e.g. baseline.num_epochs."""
    names = list(_dotted_keys(root))
    last_parts = sorted({name.rsplit(".", 1)[-1] for name in names})
    close = difflib.get_close_matches(key, last_parts, n=1, cutoff=0.8)
    return [name for name in names if close and name.rsplit(".", 1)[-1] == close[0]]


def _problems(values, schema, prefix, root):
    """``[(dotted key, message)]`` for ``values`` against ``schema`` (part of ``root``); fills defaults into
    ``values``."""
    problems = []
    unknown = [key for key in values if key not in schema]
    missing = [key for key, spec in schema.items() if spec.required and key not in values]
    for key in unknown:
        hint = _closest(str(key), [str(name) for name in schema])
        if hint in missing:
            missing.remove(hint)
            problems.append((prefix + str(key), f"unknown key {prefix}{key!s}: did you mean {prefix}{hint} "
                                                f"({schema[hint].doc}; {schema[hint].describe()})?"))
        else:
            valid = ", ".join(sorted(map(str, schema)))
            elsewhere = [] if hint else _elsewhere(str(key), root)
            if hint:
                advice = f": did you mean {prefix}{hint}?"
            elif elsewhere:
                advice = f": did you mean {' or '.join(elsewhere)} (it belongs in another section)?"
            else:
                advice = ""
            problems.append((prefix + str(key), f"unknown key {prefix}{key!s}{advice} Valid keys "
                             + (f"of {prefix[:-1]}" if prefix else "at the top") + f": {valid}"))
    for key in missing:
        spec = schema[key]
        problems.append((prefix + key, f"missing key {prefix}{key} ({spec.doc}; {spec.describe()})"))
    for key, spec in schema.items():
        if key not in values:
            if spec.default is not MISSING:
                values[key] = spec.default
            continue
        value = values[key]
        if isinstance(spec, Section):
            if value is None and spec.nullable:
                continue
            if not isinstance(value, dict):
                problems.append((prefix + key, f"{prefix}{key} = {value!r}; expected {spec.describe()} ({spec.doc})"))
                continue
            problems.extend(_problems(value, spec.keys, f"{prefix}{key}.", root))
        else:
            problem = spec.problem(value)
            if problem:
                problems.append((prefix + key, f"{prefix}{key} {problem} ({spec.doc})"))
    return problems


def check_profile(profile, schema, profile_name, profile_file, schema_file):
    """``profile`` with the schema's defaults filled in (in place); raises :class:`ProfileError` naming every
    unknown, missing, mistyped or out-of-range key, the profile, the closest valid key and the files."""
    problems = _problems(profile, schema, "", schema)
    if problems:
        lines = "\n".join(f"  - {message}" for _, message in problems)
        raise ProfileError(f"profile {profile_name!r} has {len(problems)} problem(s); edit the profile {profile_name!r} "
                           f"in {profile_file} (every key, its type, range and meaning: {schema_file}):\n{lines}")
    return profile


def returnn_keys(schema, prefix=""):
    """Dotted names of every ``returnn=True`` key of ``schema`` (nested sections included)."""
    found = []
    for key, spec in schema.items():
        if isinstance(spec, Section):
            found.extend(returnn_keys(spec.keys, f"{prefix}{key}."))
        elif spec.returnn:
            found.append(prefix + key)
    return found


def schema_table(schema, prefix=""):
    """The schema as Markdown table rows ``| key | type and range | required | what it does |`` (header first)."""
    rows = [] if prefix else ["| key | type and range | required | what it does |", "| --- | --- | --- | --- |"]
    for key, spec in schema.items():
        if spec.required:
            need = "yes"
        else:
            need = "no" if spec.default is MISSING else f"no (default {spec.default!r})"
        doc = spec.doc + (" (RETURNN option, passed as it is)" if spec.returnn else "")
        rows.append(f"| `{prefix}{key}` | {spec.describe()} | {need} | {doc} |")
        if isinstance(spec, Section):
            rows.extend(schema_table(spec.keys, f"{prefix}{key}."))
    return rows
