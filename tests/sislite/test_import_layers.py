"""sislite's modules import each other one way only (CLI -> manager -> graph -> job -> hash/paths): no import circle,
counting imports inside functions too (read from the source with ``ast``, so nothing is executed)."""

import ast
import os

import sislite

PACKAGE_DIR = os.path.dirname(os.path.abspath(sislite.__file__))


def _modules():
    names = {}
    for filename in sorted(os.listdir(PACKAGE_DIR)):
        if filename.endswith(".py"):
            stem = filename[:-3]
            names["sislite" if stem == "__init__" else f"sislite.{stem}"] = os.path.join(PACKAGE_DIR, filename)
    return names


def _imported(tree, modules):
    """The sislite modules a module imports anywhere in its source (``sisyphus.x`` counts as ``sislite.x``)."""
    found = set()

    def sislite_name(name):
        return "sislite" + name[len("sisyphus"):] if name.split(".")[0] == "sisyphus" else name

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(sislite_name(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = sislite_name(node.module)
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in modules else module)
    return found & set(modules)


def import_graph():
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        with open(path) as f:
            graph[name] = _imported(ast.parse(f.read(), path), modules) - {name}
    return graph


def find_circle(graph):
    """One import circle as a list of modules (first == last), or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                circle = visit(target)
                if circle:
                    return circle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            circle = visit(node)
            if circle:
                return circle
    return None


def test_sislite_has_no_import_circle():
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_the_circle_check_sees_function_level_imports():
    tree = ast.parse("def f():\n    from sislite import manager\n    import sisyphus.job\n")
    assert _imported(tree, {"sislite.manager": "", "sislite.job": ""}) == {"sislite.manager", "sislite.job"}
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_low_layers_do_not_import_the_command_line_or_the_manager():
    graph = import_graph()
    for low in ("sislite.hash", "sislite.job", "sislite.job_path", "sislite.engine", "sislite.localengine",
                "sislite.forkserver", "sislite.global_settings"):
        assert not graph[low] & {"sislite.__main__", "sislite.manager", "sislite"}, (low, graph[low])


def test_import_sislite_does_not_load_the_settings(tmp_path):
    """settings.py may import ``sisyphus``: it must not run while ``import sislite`` is still running."""
    import subprocess
    import sys

    (tmp_path / "settings.py").write_text("raise SystemExit('settings.py was loaded')\n")
    code = "import sislite, sys; sys.exit('sislite.global_settings' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "SIS_GLOBAL_SETTINGS_FILE"}
    env["PYTHONPATH"] = os.path.dirname(PACKAGE_DIR)
    assert subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env).returncode == 0
