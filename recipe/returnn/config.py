"""``ReturnnConfig``: a RETURNN config as data, hashed by what changes a result, written as a readable file.

Hashed: ``config`` (the dict, with Paths/Checkpoints by their own hash and Python functions/classes by their source
code and the values, imports and helpers they refer to: ``recipe/returnn/python_code.py``), ``python_prolog`` and
``python_epilog`` (by source); docstrings and comments in code are not hashed. Not hashed: ``post_config`` (device,
num_epochs, log settings, model paths). Paths and Checkpoints anywhere in either dict are found by Sisyphus as job inputs (they are
attributes of this object). The written file is plain Python that ``python -m returnn <file>`` runs by hand.
"""

import importlib
import inspect
import pprint
import textwrap

from recipe.atomic_output import write_atomically
from recipe.returnn.python_code import Constant, PythonFunction, hashed_source, merge_definitions
from recipe.sis_api import sisyphus, tk

RESULT_NEUTRAL_KEYS = ("device", "log", "log_verbosity", "model", "tf_log_dir", "tf_session_opts")
"""Keys that never change a result and so belong in post_config (never hashed). ``tf_session_opts`` holds thread
counts and GPU memory options (the jobs set the threads from their cpu rqmt)."""


class CodeWrapper:
    """Raw Python code used as a config value; written verbatim (e.g. ``CodeWrapper("tf.nn.relu")``), hashed by its
    text."""

    def __init__(self, code):
        if not isinstance(code, str):
            raise TypeError(f"CodeWrapper needs a str of Python code, got {type(code).__name__}")
        self.code = code

    def __repr__(self):
        return self.code

    def __eq__(self, other):
        return isinstance(other, CodeWrapper) and other.code == self.code

    def __hash__(self):
        return hash(self.code)


def _is_path(value):
    return isinstance(value, (tk.Path, tk.Variable)) if hasattr(tk, "Variable") else isinstance(value, tk.Path)


def _is_checkpoint(value):
    from recipe.returnn.checkpoint import Checkpoint, PtCheckpoint

    return isinstance(value, (Checkpoint, PtCheckpoint))


def _capture(value, where):
    """Copy of ``value`` with functions/classes replaced by PythonFunction; rejects values RETURNN cannot read."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, (str, int, float, bool, tuple)) and key is not None:
                raise TypeError(f"{where}: dict key {key!r} ({type(key).__name__}) cannot be written to a RETURNN "
                                f"config; use str/int keys")
        return type(value)((key, _capture(item, f"{where}[{key!r}]")) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_capture(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return type(value)(items)
    if inspect.isfunction(value) or inspect.isclass(value):
        return PythonFunction(value)
    if value is None or isinstance(value, (str, bool, int, float, complex, CodeWrapper, PythonFunction)):
        return value
    if _is_path(value) or _is_checkpoint(value):
        return value
    raise TypeError(f"{where} = {value!r}: a {type(value).__name__} cannot be written to a RETURNN config; use "
                    f"plain Python data, tk.Path, Checkpoint, a `def` function or CodeWrapper('<code>')")


def _capture_code(code, where):
    """Prolog/epilog (None, str, function, class, CodeWrapper or a list of them) as one source string; a function
    comes with what it refers to (see PythonFunction), each name defined once."""
    parts, defined = [], {}
    for item in code if isinstance(code, (list, tuple)) else [code]:
        if item is None:
            continue
        if isinstance(item, str):
            parts.append(textwrap.dedent(item).strip("\n"))
        elif isinstance(item, CodeWrapper):
            parts.append(item.code)
        elif inspect.isfunction(item) or inspect.isclass(item):
            new = {name: definition for name, definition in PythonFunction(item).definitions().items()
                   if name not in defined}
            merge_definitions(defined, new)
            parts += [definition.code() for definition in new.values()]
        else:
            raise TypeError(f"{where}: expected Python code (str, function, class or a list of them), got "
                            f"{type(item).__name__}")
    return "\n\n".join(part for part in parts if part)


def _resolved(value):
    """``value`` as RETURNN reads it: Paths as absolute path strings, Checkpoints as their prefix (a PtCheckpoint as
    its ``.pt`` file)."""
    if isinstance(value, dict):
        return type(value)((key, _resolved(item)) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(_resolved(item) for item in value)
    if _is_checkpoint(value):
        return value.ckpt_path
    if _is_path(value):
        return value.get() if hasattr(tk, "Variable") and isinstance(value, tk.Variable) else value.get_path()
    return value


def _definitions_in(value, found):
    """Add the definitions (functions and what they refer to) of every PythonFunction in ``value`` to ``found``."""
    if isinstance(value, dict):
        for item in value.values():
            _definitions_in(item, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _definitions_in(item, found)
    elif isinstance(value, PythonFunction):
        merge_definitions(found, value.definitions())
    return found


def sis_hash_helper(obj):
    """The hash bytes of ``obj`` from the Sisyphus in use (RWTH ``sisyphus.hash`` or sislite's equivalent)."""
    return importlib.import_module(sisyphus.__name__ + ".hash").sis_hash_helper(obj)


class ReturnnConfig:
    """A RETURNN config: ``config`` (hashed) and ``post_config`` (not hashed), plus Python code before
    (``python_prolog``) and after (``python_epilog``) the settings.

    Values may be plain Python data, ``tk.Path``/``Checkpoint`` (written as path strings, found as job inputs),
    ``def`` functions or classes (e.g. ``get_network``; written as their source and hashed by it), or
    ``CodeWrapper``. Functions are captured by source when the object is built.
    """

    def __init__(self, config, post_config=None, *, python_prolog=None, python_epilog=None, pprint_width=130):
        if not isinstance(config, dict):
            raise TypeError(f"ReturnnConfig(config=...) must be a dict of RETURNN settings, got "
                            f"{type(config).__name__}")
        post_config = {} if post_config is None else post_config
        if not isinstance(post_config, dict):
            raise TypeError(f"ReturnnConfig(post_config=...) must be a dict, got {type(post_config).__name__}")
        for key in list(config) + list(post_config):
            if not isinstance(key, str) or not key.isidentifier():
                raise ValueError(f"RETURNN config key {key!r} is not a Python identifier; RETURNN configs are "
                                 f"Python files, so keys must be names like 'learning_rate'")
        both = sorted(set(config) & set(post_config))
        if both:
            raise ValueError(f"keys {both} are in both config and post_config of a ReturnnConfig; keep each key in "
                             f"one of them (post_config for things that do not change the result)")
        neutral = sorted(set(config) & set(RESULT_NEUTRAL_KEYS))
        if neutral:
            raise ValueError(f"keys {neutral} do not change a result but are in the hashed ReturnnConfig.config; "
                             f"move them to post_config so the job id does not depend on them")
        self.config = {key: _capture(value, f"config[{key!r}]") for key, value in config.items()}
        self.post_config = {key: _capture(value, f"post_config[{key!r}]") for key, value in post_config.items()}
        self.python_prolog = _capture_code(python_prolog, "python_prolog")
        self.python_epilog = _capture_code(python_epilog, "python_epilog")
        self.pprint_width = pprint_width

    # --- access ---
    def get(self, key, default=None):
        """The value of ``key`` (post_config first, then config), or ``default``."""
        if key in self.post_config:
            return self.post_config[key]
        return self.config.get(key, default)

    def __contains__(self, key):
        return key in self.post_config or key in self.config

    def updated(self, config=None, post_config=None):
        """A new ReturnnConfig with the given entries added/replaced (a key moves between config and post_config
        if given in the other one)."""
        new_config = {key: value for key, value in self.config.items() if key not in (post_config or {})}
        new_config.update(config or {})
        new_post = {key: value for key, value in self.post_config.items() if key not in (config or {})}
        new_post.update(post_config or {})
        return ReturnnConfig(new_config, new_post, python_prolog=self.python_prolog or None,
                             python_epilog=self.python_epilog or None, pprint_width=self.pprint_width)

    def without(self, *keys):
        """A new ReturnnConfig without ``keys`` (in config or post_config)."""
        return ReturnnConfig({k: v for k, v in self.config.items() if k not in keys},
                             {k: v for k, v in self.post_config.items() if k not in keys},
                             python_prolog=self.python_prolog or None, python_epilog=self.python_epilog or None,
                             pprint_width=self.pprint_width)

    # --- hashing ---
    def hashed_state(self):
        """What the job id depends on: config (functions by source and what they refer to), prolog and epilog
        source; docstrings and comments in code are not part of it."""
        return {"returnn_config": self.config, "python_prolog": hashed_source(self.python_prolog),
                "python_epilog": hashed_source(self.python_epilog)}

    def _sis_hash(self):
        return sis_hash_helper(self.hashed_state())

    # --- writing ---
    def serialize(self, header_comment=None):
        """The config file text: prolog, function definitions, hashed settings, other settings, epilog."""
        definitions = _definitions_in(self.config, {})
        _definitions_in(self.post_config, definitions)
        for name, definition in list(definitions.items()):
            if isinstance(definition, Constant) and name in self and _resolved(self.get(name)) == definition.value:
                del definitions[name]  # the setting of that name gives the code the same value
            elif name in self and self.get(name) != definition:
                raise ValueError(f"the RETURNN config setting {name!r} has the name of a function, global or closure "
                                 f"variable its code refers to ({definition.code().splitlines()[0]!r}); rename one")
        parts = ["#!rnn.py", "# RETURNN config written by recipe.returnn.config.ReturnnConfig",
                 "# Run it by hand with:  python3 -m returnn <this file>"]
        if header_comment:
            parts += ["# " + line for line in header_comment.splitlines()]
        sections = ["\n".join(parts)]
        if self.python_prolog:
            sections.append(self.python_prolog)
        for definition in definitions.values():
            sections.append(definition.code())
        sections.append(self._settings("settings that define the result (hashed)", self.config))
        if self.post_config:
            sections.append(self._settings("settings that do not change the result (not hashed)", self.post_config))
        if self.python_epilog:
            sections.append(self.python_epilog)
        return "\n\n".join(sections) + "\n"

    def _settings(self, title, settings):
        lines = [f"# --- {title} ---"]
        for key, value in settings.items():
            if isinstance(value, PythonFunction):
                if value.name != key:
                    lines.append(f"{key} = {value.name}")
                continue
            resolved = _resolved(value)
            if not pprint.isreadable(resolved):
                raise ValueError(f"{key} = {resolved!r} cannot be read back by RETURNN; use plain data")
            text = _format_value(resolved, len(key) + 3, self.pprint_width)
            lines.append(f"{key} = {text}")
        return "\n".join(lines)

    def write(self, path, header_comment=None):
        """Write the config file atomically (temporary file + rename)."""
        write_atomically(path, self.serialize(header_comment))

    def __repr__(self):
        return f"ReturnnConfig(config keys={sorted(self.config)}, post_config keys={sorted(self.post_config)})"


def _format_value(value, column, width):
    """Python literal for ``value``: on one line if it fits, else a dict with one entry per line (recursively), so
    a network reads one layer per line."""
    text = pprint.pformat(value, width=10**9, sort_dicts=False)
    if column + len(text) <= width or not isinstance(value, dict) or not value:
        return text
    indent = " " * 4
    lines = []
    for key, item in value.items():
        prefix = f"{key!r}: "
        item_text = _format_value(item, len(indent) + len(prefix), width).replace("\n", "\n" + indent)
        lines.append(f"{indent}{prefix}{item_text},")
    return "{\n" + "\n".join(lines) + "\n}"
