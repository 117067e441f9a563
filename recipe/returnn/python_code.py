"""Python functions and classes for RETURNN configs, captured with everything they refer to.

``PythonFunction(obj)`` reads the source of a ``def`` function or class and what it uses from outside itself:
closure variables and module globals that are plain data (written as ``name = value``), modules and objects of
installed libraries (written as imports) and other functions/classes of this setup (captured the same way). So the
written config runs by hand, and every captured value is part of the hash: two closures differing only in a
captured value get different job ids. Anything else (an object instance, a module of this setup, a lambda) is
rejected with an error that says how to write it instead.

``hashed_source(text)`` is the code text a hash sees: the text without its comments and docstrings, everything else
byte for byte, so editing a docstring or a comment keeps every job id and code without either hashes as before.
"""

import ast
import builtins
import dis
import inspect
import io
import os
import pprint
import sys
import sysconfig
import textwrap
import tokenize
import types

_HOW_TO = ("a RETURNN config can refer to plain data (numbers, strings, lists, dicts), `def` functions, classes "
           "and installed modules; pass anything else in as a config setting or create it inside the function")


def hashed_source(text):
    """``text`` without comments and docstrings; lines they leave empty are dropped, all else is kept as is."""
    try:
        tree = ast.parse(text)
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (SyntaxError, tokenize.TokenError, IndentationError):
        return text
    lines = text.splitlines(keepends=True)
    spans = []  # (first line, first column, last line, end column), lines from 1, columns in characters
    for token in tokens:
        if token.type == tokenize.COMMENT:
            (row, col), (_, end) = token.start, token.end
            before = lines[row - 1][:col]
            spans.append((row, len(before.rstrip()), row, end))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                spans.append((first.lineno, _char_column(lines, first.lineno, first.col_offset),
                              first.end_lineno, _char_column(lines, first.end_lineno, first.end_col_offset)))
    cut = {}  # line number -> list of (start, end) character ranges to remove
    for first, start, last, end in spans:
        for row in range(first, last + 1):
            content = len(lines[row - 1].rstrip("\r\n"))
            cut.setdefault(row, []).append((start if row == first else 0, end if row == last else content))
    kept = []
    for row, line in enumerate(lines, 1):
        if row not in cut:
            kept.append(line)
            continue
        body, newline = line.rstrip("\r\n"), line[len(line.rstrip("\r\n")):]
        for start, end in sorted(cut[row], reverse=True):
            body = body[:start] + body[end:]
        if body.strip():
            kept.append(body + newline)
    return "".join(kept)


def _char_column(lines, row, byte_column):
    """ast's UTF-8 byte offset on line ``row`` as a character offset."""
    return len(lines[row - 1].encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))


class Definition:
    """Something a RETURNN config defines at top level (``alias``), written by ``code()``, hashed by its state."""

    alias = None

    def code(self):
        raise NotImplementedError

    def __sis_state__(self):
        raise NotImplementedError

    def __eq__(self, other):
        return type(other) is type(self) and other.alias == self.alias and other.__sis_state__() == self.__sis_state__()

    def __hash__(self):
        return hash((type(self).__name__, self.alias, self.code()))


class ModuleImport(Definition):
    """A module a function refers to by ``alias`` (``import numpy as np``)."""

    def __init__(self, alias, module):
        self.alias, self.module = alias, module

    def code(self):
        return f"import {self.module}" if self.alias == self.module else f"import {self.module} as {self.alias}"

    def __sis_state__(self):
        return {"import": self.module}


class LibraryObject(Definition):
    """A function or class of an installed library a function refers to (``from os.path import join``)."""

    def __init__(self, alias, module, name):
        self.alias, self.module, self.name = alias, module, name

    def code(self):
        suffix = "" if self.alias == self.name else f" as {self.alias}"
        return f"from {self.module} import {self.name}{suffix}"

    def __sis_state__(self):
        return {"from": self.module, "import": self.name}


class Constant(Definition):
    """Plain data a function refers to (a module global or closure variable), written as ``name = value``."""

    def __init__(self, alias, value):
        self.alias, self.value = alias, value

    def code(self):
        return f"{self.alias} = {pprint.pformat(self.value, width=120, sort_dicts=False)}"

    def __sis_state__(self):
        return {"value": self.value}


class PythonFunction(Definition):
    """A function or class captured by its source when the ReturnnConfig was built; written as its definition (after
    what it refers to) and referenced by name. Hashed by its name, its source without docstrings/comments and, when
    it refers to anything outside itself, those dependencies (values, imports, other functions)."""

    def __init__(self, obj, _in_progress=()):
        self.name = self.alias = obj.__name__
        try:
            self.source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError) as exc:
            raise ValueError(f"cannot read the source of {obj!r} for the RETURNN config ({exc}); define it with "
                             f"`def` in a module file (not a lambda, not interactively)") from exc
        if self.name == "<lambda>":
            raise ValueError(f"a lambda cannot go into a RETURNN config (source {self.source.strip()!r}); "
                             f"use a named `def` function")
        self.dependencies = _dependencies(obj, _in_progress + (obj,))

    def definitions(self):
        """``{name: Definition}`` of everything this function needs and itself: imports, then data, then functions
        (each after those it calls)."""
        found = {}
        for dependency in self.dependencies.values():
            if isinstance(dependency, PythonFunction):
                merge_definitions(found, dependency.definitions())
            else:
                merge_definitions(found, {dependency.alias: dependency})
        merge_definitions(found, {self.name: self})
        order = (ModuleImport, LibraryObject, Constant, PythonFunction)
        return dict(sorted(found.items(), key=lambda item: order.index(type(item[1]))))

    def code(self):
        return self.source.strip("\n")

    def __repr__(self):
        return self.name

    def __sis_state__(self):
        state = {"name": self.name, "source": hashed_source(self.source)}
        if self.dependencies:
            state["dependencies"] = self.dependencies
        return state


def merge_definitions(found, new):
    """Add ``new`` definitions to ``found``; one name must not stand for two different things."""
    for name, item in new.items():
        other = found.get(name)
        if other is None:
            found[name] = item
        elif other != item:
            raise ValueError(f"the RETURNN config would define {name!r} twice, differently ({other.code()!r} and "
                             f"{item.code()!r}); rename one of the functions, globals or closure variables")


def _dependencies(obj, in_progress):
    """``{name: ModuleImport | LibraryObject | Constant | PythonFunction}`` that ``obj`` refers to."""
    found = {}
    module_globals = getattr(obj, "__globals__", None) or vars(sys.modules.get(obj.__module__, builtins))
    for name, value, kind in _referenced(obj, module_globals):
        if value is obj:
            continue
        found[name] = _dependency(obj, name, value, kind, in_progress)
    return dict(sorted(found.items()))


def _referenced(obj, module_globals):
    """(name, value, "closure variable" | "global") for each outside name ``obj``'s code reads."""
    if inspect.isfunction(obj):
        cells = dict(zip(obj.__code__.co_freevars, obj.__closure__ or ()))
        for name, cell in cells.items():
            try:
                yield name, cell.cell_contents, "closure variable"
            except ValueError:
                raise ValueError(f"{obj.__qualname__} uses the closure variable {name!r} before it is assigned; "
                                 f"assign it before building the ReturnnConfig") from None
        names = _global_names(obj.__code__)
    else:
        names = _names_in_class(obj)
    for name in sorted(names):
        if name.startswith("__") and name.endswith("__"):
            continue  # module attributes such as __name__ (read by every class body): the config has its own
        if name in module_globals:
            yield name, module_globals[name], "global"
        # else: a builtin, or a setting of the RETURNN config itself (configs read each other's names as globals)


def _global_names(code):
    names = set()
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            names.add(instruction.argval)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _names_in_class(cls):
    """Names a class's source reads (its body and methods, including their local names), less its own name."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read - {cls.__name__}


def _dependency(obj, name, value, kind, in_progress):
    where = f"{obj.__qualname__} refers to the {kind} {name!r}"
    if isinstance(value, types.ModuleType):
        if not _is_library(value):
            raise ValueError(f"{where}, the module {value.__name__} of this setup, which a RETURNN config run by "
                             f"hand cannot import; import the functions it needs by name (`from "
                             f"{value.__name__} import f`) so they are captured")
        return ModuleImport(name, value.__name__)
    if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
        module = sys.modules.get(getattr(value, "__module__", None) or "")
        if module is not None and _is_library(module):
            if getattr(module, value.__qualname__, None) is not value:
                raise ValueError(f"{where} ({value!r}), which cannot be imported by name from {module.__name__}; "
                                 f"import it inside the function instead")
            return LibraryObject(name, module.__name__, value.__qualname__)
        if value in in_progress:
            raise ValueError(f"{where}, which refers back to {obj.__qualname__}; functions in a RETURNN config "
                             f"cannot call each other in a circle: merge them into one function")
        return PythonFunction(value, in_progress)
    if _is_plain_data(value):
        return Constant(name, value)
    raise TypeError(f"{where} = {value!r} (a {type(value).__name__}), which cannot be written into a RETURNN config; "
                    f"{_HOW_TO}")


def _is_plain_data(value):
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value) in (list, tuple, set, frozenset) and all(_is_plain_data(item) for item in value)
    if isinstance(value, dict):
        return type(value) is dict and all(_is_plain_data(k) and _is_plain_data(v) for k, v in value.items())
    return False


def _library_dirs():
    paths = sysconfig.get_paths()
    return tuple(os.path.realpath(paths[key]) + os.sep for key in ("stdlib", "platstdlib", "purelib", "platlib"))


def _is_library(module):
    """True for built-in modules and those installed with Python or in site-packages (not this setup's code)."""
    if module.__name__ in sys.builtin_module_names:
        return True
    path = getattr(module, "__file__", None)
    if path is None:
        return module.__name__.split(".")[0] in sys.builtin_module_names or module.__spec__ is None
    return os.path.realpath(path).startswith(_library_dirs())
