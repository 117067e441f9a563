"""Config loading (SPEC §1.3): ``config/x.py`` imports ``config.x`` (calling ``py()`` if defined),
``config/x.main(1, 'a')`` imports ``config.x`` and calls ``main(1, 'a')``; ``recipe/`` is searched like RWTH Sisyphus's
``IMPORT_PATHS`` (after the installed packages, so ``recipe/returnn`` never shadows the real ``returnn``)."""

import ast
import importlib
import inspect
import os
import sys


def setup_import_paths():
    """The setup directory first on ``sys.path``; ``IMPORT_PATHS`` entries ending in ``/`` appended at the end."""
    from sislite import global_constants as gc
    from sislite import global_settings as gs

    if gc.BASE_DIR not in sys.path:
        sys.path.insert(0, gc.BASE_DIR)
    for entry in gs.IMPORT_PATHS:
        if entry.endswith("/"):
            directory = os.path.join(gc.BASE_DIR, entry)
            if os.path.isdir(directory) and directory not in sys.path:
                sys.path.append(directory)


def default_configs():
    """``config.py`` if it exists, else ``config.main`` if ``config/`` exists."""
    if os.path.isfile("config.py"):
        return ["config.py"]
    if os.path.isdir("config"):
        return ["config.main"]
    raise SystemExit("sis: no config given and neither config.py nor config/ exists here "
                     f"({os.getcwd()}): run sis from the setup directory or name a config, e.g. config/transfer.py")


def parse_config_name(text):
    """``(module name, function name, positional args)`` for a config string."""
    from sislite import global_settings as gs

    args = ()
    if "(" in text:
        inner = text[text.index("(") + 1:text.rindex(")")]
        text = text[:text.index("(")]
        args = ast.literal_eval(f"({inner},)") if inner.strip() else ()
    for entry in gs.IMPORT_PATHS:
        if entry.endswith("/") and text.startswith(entry):
            text = text[len(entry):]
            break
    dotted = text.replace("/", ".")
    if "." not in dotted:
        raise SystemExit(f"sis: config {text!r} names no function: use e.g. config/{text}.py or config.{text}.main")
    module_name, function_name = dotted.rsplit(".", 1)
    for part in dotted.split("."):
        if not part.isidentifier():
            raise SystemExit(f"sis: config {text!r}: {part!r} is not a Python identifier")
    return module_name, function_name, args


def load_config(text):
    """Import the config module and call its function (see module docstring)."""
    module_name, function_name, args = parse_config_name(text)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise SystemExit(f"sis: config {text!r}: module {module_name} not found in {os.getcwd()} "
                             "(run sis from the setup directory)") from error
        raise
    function = getattr(module, function_name, None)
    if function is None:
        if function_name == "py":
            return
        raise SystemExit(f"sis: config {text!r}: module {module_name} has no function {function_name!r}")
    if inspect.iscoroutinefunction(function):
        raise SystemExit(f"sis: config {text!r}: async configs are not supported by sislite; use RWTH Sisyphus")
    function(*args)
