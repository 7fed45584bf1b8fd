"""The code stays linted, typed and layered (DESIGN.md: science ← ml ← services ← adapters)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cryoprotect"

# What each layer may import from the rest of the package.
ALLOWED = {
    "science": {"science", "errors"},
    "ml": {"science", "ml", "errors"},
    "db": {"db", "errors", "settings", "science"},
    "search": {"search", "science", "errors", "settings"},
    "services": {"science", "ml", "db", "search", "services", "errors", "settings"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_downwards(layer: str) -> None:
    offenders = []
    for path in (PACKAGE / layer).rglob("*.py"):
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] in {"flask", "flask_smorest"} and layer != "api":
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            if parts[0] == "sqlalchemy" and layer in {"science", "ml"}:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
            if parts[0] == "cryoprotect" and len(parts) > 1 and parts[1] not in ALLOWED[layer]:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True)


def test_ruff_lint_and_format() -> None:
    lint = _run("ruff", "check", "src", "tests")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "src", "tests")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_on_the_pure_core() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
