"""Config loading (SPEC §1.3): ``config/x.py`` imports ``config.x`` (calling ``py()`` if defined),
``config/x.main(1, 'a')`` imports ``config.x`` and calls ``main(1, 'a')``; ``recipe/`` is searched like RWTH Sisyphus's
``IMPORT_PATHS`` (after the installed packages, so ``recipe/returnn`` never shadows the real ``returnn``)."""

import ast
import difflib
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


def _relative_to_setup(text):
    """An absolute config path inside the setup directory as the relative path sis expects; outside it an error
    that says where to run sis from."""
    from sislite import global_constants as gc

    path = os.path.normpath(text)
    base = gc.BASE_DIR
    if os.path.commonpath([path, base]) == base:
        return os.path.relpath(path, base)
    parent = os.path.dirname(os.path.dirname(path))
    raise SystemExit(f"sis: config {text!r} is outside the setup directory {base}: run sis from the setup directory "
                     f"that holds it and name it relative to that, e.g. cd {parent} && sis manager "
                     f"{os.path.relpath(path, parent)}")


def parse_config_name(text):
    """``(module name, function name, positional args)`` for a config string."""
    from sislite import global_settings as gs

    args = ()
    if "(" in text:
        inner = text[text.index("(") + 1:text.rindex(")")]
        text = text[:text.index("(")]
        args = ast.literal_eval(f"({inner},)") if inner.strip() else ()
    if os.path.isabs(text):
        text = _relative_to_setup(text)
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


def _closest(name, candidates):
    found = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {found[0]}?)" if found else ""


def _missing_module_message(text, module_name):
    """Why ``module_name`` cannot be imported, for a user: the file that is missing and the closest existing one, or
    that sis runs outside a setup directory."""
    parts = module_name.split(".")
    directory = os.path.join(*parts[:-1]) if len(parts) > 1 else "."
    if not os.path.isdir(parts[0]) and not os.path.isfile(parts[0] + ".py"):
        return (f"sis: config {text!r}: no {parts[0]}/ or {parts[0]}.py in {os.getcwd()}; run sis from the setup "
                "directory (the one with settings.py and config/)")
    if not os.path.isdir(directory):
        return f"sis: config {text!r}: there is no directory {directory}/ in {os.getcwd()}"
    wanted = os.path.join(directory, parts[-1] + ".py")
    existing = sorted(name[:-3] for name in os.listdir(directory) if name.endswith(".py") and name != "__init__.py")
    found = difflib.get_close_matches(parts[-1], existing, n=1)
    hint = f" (did you mean {os.path.join(directory, found[0])}.py?)" if found else ""
    listed = ", ".join(os.path.join(directory, name) + ".py" for name in existing) or "none"
    return f"sis: config {text!r}: {wanted} does not exist in {os.getcwd()}{hint}; configs there: {listed}"


def _missing_function_message(text, module, module_name, function_name):
    """The function is missing: a mistyped file extension (``config/x.pyy``) or a mistyped function name."""
    module_file = getattr(module, "__file__", None) or module_name
    if function_name.startswith("py") or function_name in ("txt", "yaml", "json", "cfg", "config"):
        return (f"sis: config {text!r}: configs are Python files named config/<name>.py; did you mean "
                f"{module_name.replace('.', '/')}.py? ({module_name} has no function {function_name!r})")
    functions = [name for name, value in vars(module).items()
                 if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")]
    return (f"sis: config {text!r}: {module_file} has no function {function_name!r}{_closest(function_name, functions)}; "
            f"its functions: {', '.join(sorted(functions)) or 'none'}")


def load_config(text):
    """Import the config module and call its function (see module docstring)."""
    module_name, function_name, args = parse_config_name(text)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise SystemExit(_missing_module_message(text, module_name)) from error
        raise
    function = getattr(module, function_name, None)
    if function is None:
        if function_name == "py":
            return
        raise SystemExit(_missing_function_message(text, module, module_name, function_name))
    if inspect.iscoroutinefunction(function):
        from sislite.async_workflow import start_async_config

        start_async_config(function, args, text)
        return
    function(*args)
