"""The most informative error line of a failed RETURNN run, picked from its output line by line.

RETURNN ends a failure with shutdown noise ("Trainer not finalized, quitting. (pid N)"), and a TF runtime error
appears twice: first the real message (``InvalidArgumentError: Received a label value of -1 ...``), then, after
"During handling of the above exception", a generic one (``InvalidArgumentError: Graph execution error:``) whose
details follow on later lines. The pick is the last exception line that carries its message on the line itself:

* an exception line is either a line of the form ``SomethingError: message`` / ``Exception: message`` (also
  ``...Exit``, ``...Interrupt``; dotted module prefixes allowed), or the first unindented line that ends a
  ``Traceback (most recent call last):`` block and looks like ``Name: message`` (e.g. RETURNN's ``LayerNotFound``);
* one whose message is empty or ends with ``:`` is used only when there is no other;
* without any exception line, the last non-empty line is used.

Lines are cut to :data:`MAX_CHARS` characters (TF repeats whole label sequences in its messages).

The finder also keeps the layer RETURNN was building when it failed (:meth:`ErrorLineFinder.layer_name`): the last
``name`` in the locals of a ``construct_layer`` / ``GetLayer.__call__`` frame of the traceback (RETURNN's error for
an unknown layer class names only the class); and the files RETURNN was reading (:meth:`ErrorLineFinder.files`):
the model of the last ``Evaluate model`` / ``Load model`` line, the last absolute path among a traceback's locals.
"""

import re

MAX_CHARS = 300
"""Longest error line reported; longer lines are cut and end in ' ...'."""

NAMED_EXCEPTION = re.compile(r"^(?:[A-Za-z_]\w*\.)*(?:\w*(?:Error|Exception|Exit|Interrupt)|Exception)(?::\s.*|:?)$")
TRACEBACK_END = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?::\s.*|:?)$")
TRACEBACK_START = "Traceback (most recent call last):"
FRAME = re.compile(r'^\s+File ".*", line \d+, in (?P<function>\S+)')
LAYER_FRAMES = ("TFNetwork.construct_layer", "GetLayer.__call__", "TFNetwork.construct_from_dict")
NAME_LOCAL = re.compile(r"^\s+name = <local> '(?P<name>[^']+)'")
PATH_LOCAL = re.compile(r"^\s+[\w.]+ = <local> '(?P<path>/[^']+)'")
MODEL_LINE = re.compile(r"^(?:Evaluate|Load) model (?P<path>/\S+)")


def shorten(line, max_chars=MAX_CHARS):
    """``line`` stripped and cut to ``max_chars`` characters (ending in ' ...' when cut)."""
    line = line.strip()
    return line if len(line) <= max_chars else line[:max_chars - 4].rstrip() + " ..."


def _is_vague(line):
    """True for an exception line whose details are not on it (``Error:`` or ``Error: Graph execution error:``)."""
    return line.rstrip().endswith(":") or ":" not in line


class ErrorLineFinder:
    """Feed RETURNN's output line by line (:meth:`feed`); :meth:`error_line` gives the pick described in the
    module docstring. Keeps only the candidates, not the output."""

    def __init__(self):
        self._in_traceback = False
        self._informative = None
        self._vague = None
        self._last_line = None
        self._in_layer_frame = False
        self._layer_name = None
        self._model = None
        self._path_local = None

    def feed(self, line):
        line = line.rstrip("\r\n")
        if not line.strip():
            return
        self._last_line = line
        frame = FRAME.match(line)
        if frame:
            self._in_layer_frame = frame.group("function") in LAYER_FRAMES
        elif self._in_layer_frame and NAME_LOCAL.match(line):
            self._layer_name = NAME_LOCAL.match(line).group("name")
        if self._in_traceback and PATH_LOCAL.match(line):
            self._path_local = PATH_LOCAL.match(line).group("path")
        elif MODEL_LINE.match(line):
            self._model = MODEL_LINE.match(line).group("path")
        ends_traceback = self._in_traceback and not line[0].isspace()
        if line.strip() == TRACEBACK_START:
            self._in_traceback = True
            return
        if ends_traceback:
            self._in_traceback = False
        if NAMED_EXCEPTION.match(line) or (ends_traceback and TRACEBACK_END.match(line)):
            if _is_vague(line):
                self._vague = line
            else:
                self._informative = line

    def layer_name(self):
        """The layer RETURNN was building in the last traceback, or None."""
        return self._layer_name

    def files(self):
        """``{"model": checkpoint prefix or None, "path_local": path or None}`` (see the module docstring)."""
        return {"model": self._model, "path_local": self._path_local}

    def error_line(self):
        """The chosen line, shortened; "no output" when nothing was fed."""
        line = self._informative or self._vague or self._last_line
        return shorten(line) if line is not None else "no output"


def find_error_line(lines):
    """The most informative error line of RETURNN's output ``lines`` (see the module docstring)."""
    finder = ErrorLineFinder()
    for line in lines:
        finder.feed(line)
    return finder.error_line()
