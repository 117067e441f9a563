"""Recipes are reusable: no module under recipe/ imports setups/ or config/ (they import recipes, not the other way
round), not even inside a function, where it would only fail in a worker."""

import ast
from pathlib import Path

RECIPE = Path(__file__).resolve().parents[2] / "recipe"


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_no_recipe_imports_setups_or_config():
    offending = [f"{path.relative_to(RECIPE.parent)}: import {name}" for path in sorted(RECIPE.rglob("*.py"))
                 for name in imported_modules(path) if name.split(".")[0] in ("setups", "config")]
    assert not offending, offending
