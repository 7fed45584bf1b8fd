"""Run the web pages' JavaScript unit tests with Node's built-in test runner.

Skips with a clear message where Node.js is not installed; fails under CI=true.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import require

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def test_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    require(node is not None, "Node.js (node ≥ 20) is not installed; the JS unit tests need it")
    files = sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))
    assert files, "no JavaScript tests found in tests/js"
    result = subprocess.run(
        [str(node), "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    summary = "\n".join(line for line in result.stdout.splitlines() if line.startswith("# "))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in summary and "# pass 0" not in summary, summary
