"""``Path`` and ``Variable``: files that jobs read and write (SPEC §6.4). A Path made by a job (``creator``) lives in
that job's ``output/`` directory and hashes as ``("<creator id>/output", path)``; a Path without a creator hashes as
``(None, path)`` with the path string as given, so hashes do not depend on where the setup lives unless the user
passes an absolute path (use ``hash_overwrite`` for those)."""

import ast
import gzip
import math
import os
import pickle

from sislite import global_constants as gc
from sislite.atomic import replace_atomically, write_atomically
from sislite.delayed_ops import DelayedBase
from sislite.hash import sis_hash_helper


class VariableNotSet(ValueError):
    """``Variable.get()`` of a Variable whose file does not exist yet (and that has no backup)."""


class AbstractPath(DelayedBase):
    """A file or directory; ``get_path()`` is its absolute location. Arithmetic and indexing on a path build
    delayed values of its absolute path (``path + ".gz"``)."""

    _sis_path = True
    """Marks paths for ``sisyphus.tools.extract_paths`` (as in RWTH Sisyphus)."""

    def __init__(self, path, creator=None, cached=False, hash_overwrite=None, tags=None, available=None):
        if not isinstance(path, str):
            raise TypeError(f"a Path needs a str, got {type(path).__name__} {path!r}: pass str(path)")
        self.path = path
        self.creator = creator
        self.cached = cached
        if isinstance(hash_overwrite, str):
            hash_overwrite = (None, hash_overwrite)
        if hash_overwrite is not None:
            if not (isinstance(hash_overwrite, tuple) and len(hash_overwrite) == 2):
                raise ValueError(f"hash_overwrite must be a str or a 2-tuple (creator, path), got {hash_overwrite!r}")
        self.hash_overwrite = hash_overwrite
        self.tags = tags
        self._available = available
        self.users = set()

    def _sis_hash(self):
        creator, path = self.hash_overwrite if self.hash_overwrite is not None else (self.creator, self.path)
        if hasattr(creator, "_sis_id"):
            creator = f"{creator._sis_id()}/{gc.JOB_OUTPUT}"
        return b"(Path, " + sis_hash_helper((creator, path)) + b")"

    def get_path(self):
        """Absolute path of the file."""
        path = self.path if self.creator is None else os.path.join(self.creator._sis_path(gc.JOB_OUTPUT), self.path)
        return path if os.path.isabs(path) else os.path.join(gc.BASE_DIR, path)

    def get(self):
        return self.get_path()

    def available(self, debug_info=None):
        """True when the file can be used: for a job output, ``creator.path_available(self)``; else it exists."""
        if self._available is not None:
            return self._available(self)
        if self.creator is not None:
            return self.creator.path_available(self)
        return os.path.exists(self.get_path())

    def is_set(self):
        return self.available()

    def exists(self):
        return os.path.exists(self.get_path())

    def rel_path(self):
        return os.path.relpath(self.get_path())

    def join_right(self, other):
        """A copy with ``"/" + other`` appended (to ``hash_overwrite`` too)."""
        return self.copy_append("/" + other)

    def keep_value(self, value):
        """Ask the creating job to keep its directory when cleaning up with a threshold below ``value``."""
        if self.creator is not None:
            self.creator.keep_value(value)

    def copy_append(self, suffix):
        new = self.copy()
        new.path = self.path + suffix
        if new.hash_overwrite is not None:
            new.hash_overwrite = (new.hash_overwrite[0], new.hash_overwrite[1] + suffix)
        return new

    def copy(self):
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.users = set()
        return new

    def __deepcopy__(self, memo):
        return self.copy()

    def add_user(self, user):
        self.users.add(user)

    def _identity(self):
        creator = self.creator._sis_id() if self.creator is not None else None
        return type(self).__name__ == "Variable", creator, self.path if creator else self.get_path()

    def __eq__(self, other):
        return isinstance(other, AbstractPath) and self._identity() == other._identity()

    def __hash__(self):
        return hash(self._identity())

    def __lt__(self, other):
        return self.get_path() < other.get_path()

    def __str__(self):
        return self.get_path()

    def __fspath__(self):
        return self.get_path()

    def __repr__(self):
        return f"<{type(self).__name__} {self.get_path()}>"

    def __getstate__(self):
        # As RWTH Sisyphus with INCLUDE_CREATOR_STATE=False: pickled paths are absolute and lose their creator.
        state = dict(self.__dict__)
        state["users"] = set()
        if state["creator"] is not None:
            state["path"] = self.get_path()
            state["creator"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)


class Path(AbstractPath):
    """A file or directory (``tk.Path``)."""


_GZIP_MAGIC = b"\x1f\x8b"
_NON_FINITE = {"nan": math.nan, "inf": math.inf}


def _literal_with_non_finite(text):
    """``ast.literal_eval`` that also reads ``nan`` and ``inf`` (what ``repr`` writes for non-finite floats)."""

    class _Names(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in _NON_FINITE:
                return ast.copy_location(ast.Constant(_NON_FINITE[node.id]), node)
            return node

    return ast.literal_eval(_Names().visit(ast.parse(text.strip(), mode="eval")))


class Variable(AbstractPath):
    """A value stored in a file: ``set(value)`` writes ``repr(value)`` (or, with ``pickle=True``, a gzip-compressed
    pickle, as RWTH Sisyphus does) atomically, ``get()`` reads it (plain pickles of older sislite versions too)."""

    def __init__(self, path, creator=None, pickle=False, backup=None, **kwargs):
        super().__init__(path, creator=creator, **kwargs)
        self.pickle = pickle
        self.backup = backup

    def get(self):
        path = self.get_path()
        if not os.path.isfile(path):
            if self.backup is not None:
                return self.backup
            from sislite import global_settings as gs

            if gs.RAISE_VARIABLE_NOT_SET_EXCEPTION:
                raise VariableNotSet(f"Variable {path} is not set yet: run the job that creates it first")
            return None
        if self.pickle:
            with open(path, "rb") as f:
                compressed = f.read(2) == _GZIP_MAGIC
            with (gzip.open if compressed else open)(path, "rb") as f:
                return pickle.load(f)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            return _literal_with_non_finite(text)
        except (ValueError, SyntaxError):
            return text.strip()

    def set(self, value):
        if self.pickle:
            def create(temporary):
                with gzip.open(temporary, "wb") as f:
                    pickle.dump(value, f)

            replace_atomically(self.get_path(), create)
        else:
            write_atomically(self.get_path(), repr(value) + "\n")

    def is_set(self):
        return os.path.isfile(self.get_path())

    def __str__(self):
        """The value (e.g. in report templates); ``get_path()`` gives the file."""
        return str(self.get()) if self.is_set() else f"<UNSET VARIABLE: {self.get_path()}>"

    def __repr__(self):
        value = self.get() if self.is_set() else "<unset>"
        return f"<Variable {self.get_path()} {value}>"
