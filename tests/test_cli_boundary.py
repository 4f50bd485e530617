"""The library under the CLI never prints and never imports the CLI: it returns values and raises errors.

``tui.py`` is the session's terminal screen (the CLI hands it a console); a module's
``if __name__ == "__main__":`` script block may print.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "screener"
LIBRARY = sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts and p.name != "tui.py")


def _script_blocks(tree: ast.Module) -> set[int]:
    lines = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_library_module_does_not_print_or_import_the_cli(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    script = _script_blocks(tree)
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in script:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"print", "input"}, f"{path.name}:{node.lineno} calls {node.func.id}()"
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            assert not module.startswith(("screener.cli", "rich.console", "typer")), f"{path.name}:{node.lineno}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith(("screener.cli", "typer")), f"{path.name}:{node.lineno}"
