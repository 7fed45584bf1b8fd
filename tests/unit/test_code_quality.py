"""The code stays linted, typed and layered (DESIGN.md: science ← ml ← services ← adapters)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cryoprotect"


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True, text=True)


def _lint_imports(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` (import-linter) over the contracts in ``cwd/pyproject.toml``."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["contracts"]


def test_layer_contracts_hold() -> None:
    """DESIGN.md: science <- ml <- services <- (api, web, cli); db, search, ops serve services.

    The contracts live in pyproject.toml [tool.importlinter]; grimp reads every import,
    relative and deferred (inside a function) ones included.
    """
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_every_layer_is_under_the_layers_contract() -> None:
    """A new top-level package or module cannot escape the rules by not being listed."""
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    listed = {
        name.strip().removeprefix("cryoprotect.")
        for layer in layers["layers"]
        for name in layer.split("|")
    }
    present = {
        path.stem if path.suffix == ".py" else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.name != "__init__.py")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    assert present == listed


@pytest.mark.parametrize(
    ("path", "source", "contract"),
    [
        # relative, inside a function: science may not read the settings
        (
            "science/zz_probe.py",
            "def f():\n    from ..settings import Settings\n    return Settings\n",
            "science imports nothing of ours but science and errors",
        ),
        # relative, at module level: db serves services, never the other way round
        ("db/zz_probe.py", "from .. import services\n", "Layers:"),
        # the adapters are independent of each other
        ("web/zz_probe.py", "from cryoprotect.api import common\n", "Layers:"),
        # ops serves services: it may not reach up into them
        ("ops/zz_probe.py", "from ..services import actor\n", "Layers:"),
        # no web framework below the adapters
        ("services/zz_probe.py", "import flask\n", "HTTP and CLI frameworks"),
        # no database library in the pure core
        ("ml/zz_probe.py", "import sqlalchemy\n", "never touch the database"),
        # RDKit through science only
        ("api/zz_probe.py", "from rdkit import Chem\n", "RDKit is called from science"),
    ],
)
def test_contracts_catch_a_violation(tmp_path: Path, path: str, source: str, contract: str) -> None:
    """The contracts bite: a copy of the package with one forbidden import breaks them."""
    shutil.copytree(
        PACKAGE,
        tmp_path / "src" / "cryoprotect",
        ignore=shutil.ignore_patterns(
            "__pycache__", "*.csv", "*.json", "*.md", "static", "templates"
        ),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "src" / "cryoprotect" / path).write_text(source, encoding="utf-8")
    result = _lint_imports(tmp_path, pythonpath=tmp_path / "src")
    assert result.returncode != 0, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and "zz_probe" in broken, result.stdout


def test_ruff_lint_and_format() -> None:
    lint = _run("ruff", "check", "src", "tests")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "src", "tests")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_on_the_pure_core() -> None:
    """mypy over pyproject's ``files``: src strictly, tests/ with untyped test functions allowed.

    Every ignore comment must be one mypy needs (``warn_unused_ignores``).
    """
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


#: Longest a module in src/ may be (issue 15: split a longer one into a package with a
#: re-exporting ``__init__``); generated migrations are exempt.
MAX_MODULE_LINES = 600


def _long_modules(package: Path, limit: int = MAX_MODULE_LINES) -> list[str]:
    """``path: lines`` of every ``.py`` module below ``package`` longer than ``limit`` lines,
    except those under ``db/migrations/versions``."""
    long = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[:3] == ("db", "migrations", "versions"):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            long.append(f"{relative}: {lines}")
    return long


def test_no_module_over_600_lines() -> None:
    long = _long_modules(PACKAGE)
    assert not long, (
        f"modules over {MAX_MODULE_LINES} lines (split each into a package with a "
        f"re-exporting __init__): " + ", ".join(long)
    )


def test_long_module_check_bites(tmp_path: Path) -> None:
    """A 601-line module is named; a migration of the same length is not."""
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "big.py").write_text("x = 1\n" * 601, encoding="utf-8")
    (tmp_path / "services" / "ok.py").write_text("x = 1\n" * 600, encoding="utf-8")
    versions = tmp_path / "db" / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_big.py").write_text("x = 1\n" * 601, encoding="utf-8")
    assert _long_modules(tmp_path) == ["services/big.py: 601"]
