"""ESLint over the web pages' JavaScript (src/cryoprotect/web/static/js) and its unit tests.

The ESLint version is pinned in package.json/package-lock.json at the repository root and
installed with ``npm ci`` (CI does it in .ci/run; ``make lint`` does it when needed). Skips
with a clear message only where Node.js is not installed and CI is not true.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ESLINT = ROOT / "node_modules" / ".bin" / "eslint"


def _install_eslint() -> None:
    """``npm ci`` from the lock file when the pinned ESLint is not installed yet."""
    npm = shutil.which("npm")
    assert npm is not None, "Node.js is installed but npm is not; install npm, then run `npm ci`"
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        "npm ci failed:\n" + result.stdout[-3000:] + result.stderr[-3000:]
    )


def test_eslint_passes() -> None:
    node = shutil.which("node")
    require(node is not None, "Node.js (node >= 20) is not installed; ESLint needs it")
    if not ESLINT.exists():
        _install_eslint()
    result = subprocess.run(
        [str(node), str(ESLINT), "--max-warnings", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        "ESLint found problems:\n" + result.stdout[-6000:] + result.stderr[-2000:]
    )


def test_eslint_sees_the_page_modules() -> None:
    """The flat config covers every page module and JS test (no file silently ignored)."""
    node = shutil.which("node")
    require(node is not None, "Node.js (node >= 20) is not installed; ESLint needs it")
    if not ESLINT.exists():
        _install_eslint()
    files = sorted((ROOT / "src" / "cryoprotect" / "web" / "static" / "js").glob("*.js"))
    files += sorted((ROOT / "tests" / "js").glob("*.test.mjs"))
    assert files
    result = subprocess.run(
        [str(node), str(ESLINT), "--format", "json", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    reports = json.loads(result.stdout)
    ignored = [
        r["filePath"]
        for r in reports
        if any(m.get("severity") == 1 and "ignored" in m.get("message", "") for m in r["messages"])
    ]
    assert not ignored, f"ESLint ignores {ignored}"
    assert len(reports) == len(files)
